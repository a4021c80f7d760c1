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
 (let ((?x2201 (ite (= s.action 0) (- 1) 1)))
 (let ((?x5472 (* (- 1) s.coin)))
 (let ((?x2302 (+ s.agent ?x5472 ?x2201)))
 (let ((?x2782 (* (- 1) (ite (>= ?x2302 0) ?x2302 (- ?x2302)))))
 (<= 0 ?x2782))))))
(assert
 (let ((?x2201 (ite (= s.action 0) (- 1) 1)))
(let ((?x5472 (* (- 1) s.coin)))
(let ((?x2302 (+ s.agent ?x5472 ?x2201)))
(let ((?x2782 (* (- 1) (ite (>= ?x2302 0) ?x2302 (- ?x2302)))))
(> 0 ?x2782))))))
(check-sat)
