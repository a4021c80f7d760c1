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
 (let ((?x6963 (ite (= s2.action 0) (- 1) 1)))
 (let ((?x2223 (* (- 1) s2.coin)))
 (let ((?x5828 (+ s2.agent ?x2223 ?x6963)))
 (let (($x1068 (>= ?x5828 0)))
 (let ((?x2462 (+ (* (- 1) (ite $x1068 ?x5828 (- ?x5828))) 0)))
 (let ((?x3485 (ite (= s1.action 0) (- 1) 1)))
 (let ((?x1516 (* (- 1) s1.coin)))
 (let ((?x5100 (+ s1.agent ?x1516 ?x3485)))
 (let ((?x2545 (* (- 1) (ite (>= ?x5100 0) ?x5100 (- ?x5100)))))
 (> ?x2545 ?x2462)))))))))))
(assert
 (let ((?x6963 (ite (= s2.action 0) (- 1) 1)))
(let ((?x2223 (* (- 1) s2.coin)))
(let ((?x5828 (+ s2.agent ?x2223 ?x6963)))
(let (($x1068 (>= ?x5828 0)))
(let ((?x2462 (+ (* (- 1) (ite $x1068 ?x5828 (- ?x5828))) 0)))
(let ((?x3485 (ite (= s1.action 0) (- 1) 1)))
(let ((?x1516 (* (- 1) s1.coin)))
(let ((?x5100 (+ s1.agent ?x1516 ?x3485)))
(let ((?x2545 (* (- 1) (ite (>= ?x5100 0) ?x5100 (- ?x5100)))))
(< ?x2545 ?x2462)))))))))))
(check-sat)
