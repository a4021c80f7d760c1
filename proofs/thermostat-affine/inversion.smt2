(set-logic QF_LRA)
(set-info :status unknown)
(declare-fun s1.temperature () Real)
(declare-fun s2.temperature () Real)
(declare-fun s1.heater_on () Bool)
(declare-fun s2.heater_on () Bool)
(assert
 (<= 10.0 s1.temperature))
(assert
 (>= 30.0 s1.temperature))
(assert
 (<= 10.0 s2.temperature))
(assert
 (>= 30.0 s2.temperature))
(assert
 (=> s1.heater_on (<= 15.0 s1.temperature)))
(assert
 (=> s2.heater_on (<= 15.0 s2.temperature)))
(assert
 (let ((?x1531 (+ (- 21.0) s2.temperature)))
 (let ((?x2782 (ite (>= ?x1531 0.0) ?x1531 (- ?x1531))))
 (let ((?x229 (+ (- 21.0) s1.temperature)))
 (let ((?x5346 (ite (>= ?x229 0.0) ?x229 (- ?x229))))
 (> (+ 10.0 (* (- 2.0) ?x5346)) (+ (+ 10.0 (* (- 2.0) ?x2782)) 0.0)))))))
(assert
 (let ((?x1531 (+ (- 21.0) s2.temperature)))
(let ((?x2782 (ite (>= ?x1531 0.0) ?x1531 (- ?x1531))))
(let ((?x229 (+ (- 21.0) s1.temperature)))
(let ((?x5346 (ite (>= ?x229 0.0) ?x229 (- ?x229))))
(< (* (- 1.0) ?x5346) (+ (* (- 1.0) ?x2782) 0.0)))))))
(check-sat)
