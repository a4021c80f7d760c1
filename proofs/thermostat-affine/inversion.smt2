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
 (let ((?x334 (+ (- 21.0) s2.temperature)))
 (let ((?x6699 (ite (>= ?x334 0.0) ?x334 (- ?x334))))
 (let ((?x2979 (+ (- 21.0) s1.temperature)))
 (let ((?x2782 (ite (>= ?x2979 0.0) ?x2979 (- ?x2979))))
 (> (+ 10.0 (* (- 2.0) ?x2782)) (+ (+ 10.0 (* (- 2.0) ?x6699)) 0.0)))))))
(assert
 (let ((?x334 (+ (- 21.0) s2.temperature)))
(let ((?x6699 (ite (>= ?x334 0.0) ?x334 (- ?x334))))
(let ((?x2979 (+ (- 21.0) s1.temperature)))
(let ((?x2782 (ite (>= ?x2979 0.0) ?x2979 (- ?x2979))))
(< (* (- 1.0) ?x2782) (+ (* (- 1.0) ?x6699) 0.0)))))))
(check-sat)
