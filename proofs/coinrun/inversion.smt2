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
 (let ((?x4437 (ite (= s2.action 0) (- 1) 1)))
 (let ((?x275 (* (- 1) s2.coin)))
 (let ((?x6804 (+ s2.agent ?x275 ?x4437)))
 (let ((?x1253 (+ (* (- 1) (ite (>= ?x6804 0) ?x6804 (- ?x6804))) 0)))
 (let ((?x1096 (ite (= s1.action 0) (- 1) 1)))
 (let ((?x3712 (* (- 1) s1.coin)))
 (let ((?x2723 (+ s1.agent ?x3712 ?x1096)))
 (let ((?x4915 (* (- 1) (ite (>= ?x2723 0) ?x2723 (- ?x2723)))))
 (> ?x4915 ?x1253))))))))))
(assert
 (let ((?x4437 (ite (= s2.action 0) (- 1) 1)))
(let ((?x275 (* (- 1) s2.coin)))
(let ((?x6804 (+ s2.agent ?x275 ?x4437)))
(let ((?x1253 (+ (* (- 1) (ite (>= ?x6804 0) ?x6804 (- ?x6804))) 0)))
(let ((?x1096 (ite (= s1.action 0) (- 1) 1)))
(let ((?x3712 (* (- 1) s1.coin)))
(let ((?x2723 (+ s1.agent ?x3712 ?x1096)))
(let ((?x4915 (* (- 1) (ite (>= ?x2723 0) ?x2723 (- ?x2723)))))
(< ?x4915 ?x1253))))))))))
(check-sat)
