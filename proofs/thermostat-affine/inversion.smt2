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
 (let ((?x1752 (+ (- 21.0) s2.temperature)))
 (let ((?x2145 (ite (>= ?x1752 0.0) ?x1752 (- ?x1752))))
 (let ((?x297 (+ (- 21.0) s1.temperature)))
 (let ((?x6130 (ite (>= ?x297 0.0) ?x297 (- ?x297))))
 (> (+ 10.0 (* (- 2.0) ?x6130)) (+ (+ 10.0 (* (- 2.0) ?x2145)) 0.0)))))))
(assert
 (let ((?x1752 (+ (- 21.0) s2.temperature)))
(let ((?x2145 (ite (>= ?x1752 0.0) ?x1752 (- ?x1752))))
(let ((?x297 (+ (- 21.0) s1.temperature)))
(let ((?x6130 (ite (>= ?x297 0.0) ?x297 (- ?x297))))
(< (* (- 1.0) ?x6130) (+ (* (- 1.0) ?x2145) 0.0)))))))
(check-sat)
