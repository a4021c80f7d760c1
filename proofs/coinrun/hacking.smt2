(set-logic QF_LIA)
(set-info :status unknown)
(declare-fun s.agent () Int)
(declare-fun s.coin () Int)
(declare-fun s.action () Int)
(assert
 (>= s.agent 0))
(assert
 (<= s.agent 10))
(assert
 (>= s.coin 0))
(assert
 (<= s.coin 10))
(assert
 (>= s.action 0))
(assert
 (<= s.action 1))
(assert
 (let ((?x4076 (ite (= s.action 0) (- 1) 1)))
 (let ((?x4019 (* (- 1) s.coin)))
 (let ((?x2912 (+ s.agent ?x4019 ?x4076)))
 (let (($x6130 (>= ?x2912 0)))
 (let ((?x1791 (* (- 1) (ite $x6130 ?x2912 (- ?x2912)))))
 (<= 0 ?x1791)))))))
(assert
 (let ((?x4076 (ite (= s.action 0) (- 1) 1)))
(let ((?x4019 (* (- 1) s.coin)))
(let ((?x2912 (+ s.agent ?x4019 ?x4076)))
(let (($x6130 (>= ?x2912 0)))
(let ((?x1791 (* (- 1) (ite $x6130 ?x2912 (- ?x2912)))))
(> 0 ?x1791)))))))
(check-sat)
