(set-logic QF_LIA)
(set-info :status unknown)
(declare-fun s1.agent () Int)
(declare-fun s1.coin () Int)
(declare-fun s1.action () Int)
(declare-fun s2.agent () Int)
(declare-fun s2.coin () Int)
(declare-fun s2.action () Int)
(assert
 (>= s1.agent 0))
(assert
 (<= s1.agent 10))
(assert
 (>= s1.coin 0))
(assert
 (<= s1.coin 10))
(assert
 (>= s1.action 0))
(assert
 (<= s1.action 1))
(assert
 (>= s2.agent 0))
(assert
 (<= s2.agent 10))
(assert
 (>= s2.coin 0))
(assert
 (<= s2.coin 10))
(assert
 (>= s2.action 0))
(assert
 (<= s2.action 1))
(assert
 (let ((?x3249 (ite (= s2.action 0) (- 1) 1)))
 (let ((?x3996 (* (- 1) s2.coin)))
 (let ((?x4584 (+ s2.agent ?x3996 ?x3249)))
 (let ((?x4606 (+ (* (- 1) (ite (>= ?x4584 0) ?x4584 (- ?x4584))) 0)))
 (let ((?x2027 (ite (= s1.action 0) (- 1) 1)))
 (let ((?x6177 (* (- 1) s1.coin)))
 (let ((?x1828 (+ s1.agent ?x6177 ?x2027)))
 (let ((?x6820 (* (- 1) (ite (>= ?x1828 0) ?x1828 (- ?x1828)))))
 (> ?x6820 ?x4606))))))))))
(assert
 (let ((?x3249 (ite (= s2.action 0) (- 1) 1)))
(let ((?x3996 (* (- 1) s2.coin)))
(let ((?x4584 (+ s2.agent ?x3996 ?x3249)))
(let ((?x4606 (+ (* (- 1) (ite (>= ?x4584 0) ?x4584 (- ?x4584))) 0)))
(let ((?x2027 (ite (= s1.action 0) (- 1) 1)))
(let ((?x6177 (* (- 1) s1.coin)))
(let ((?x1828 (+ s1.agent ?x6177 ?x2027)))
(let ((?x6820 (* (- 1) (ite (>= ?x1828 0) ?x1828 (- ?x1828)))))
(< ?x6820 ?x4606))))))))))
(check-sat)
