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
 (let ((?x2170 (ite (= s.action 0) (- 1) 1)))
 (let ((?x1654 (* (- 1) s.coin)))
 (let ((?x3900 (+ s.agent ?x1654 ?x2170)))
 (let ((?x1494 (* (- 1) (ite (>= ?x3900 0) ?x3900 (- ?x3900)))))
 (<= 0 ?x1494))))))
(assert
 (let ((?x2170 (ite (= s.action 0) (- 1) 1)))
(let ((?x1654 (* (- 1) s.coin)))
(let ((?x3900 (+ s.agent ?x1654 ?x2170)))
(let ((?x1494 (* (- 1) (ite (>= ?x3900 0) ?x3900 (- ?x3900)))))
(> 0 ?x1494))))))
(check-sat)
