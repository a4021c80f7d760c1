(set-logic QF_LRA)
(set-info :status unknown)
(declare-fun s.temperature () Real)
(declare-fun s.heater_on () Bool)
(assert
 (<= 10.0 s.temperature))
(assert
 (>= 30.0 s.temperature))
(assert
 (=> s.heater_on (<= 15.0 s.temperature)))
(assert
 (let ((?x6644 (+ (- 21.0) s.temperature)))
 (let ((?x3121 (ite (>= ?x6644 0.0) ?x6644 (- ?x6644))))
 (<= 10.0 (+ 10.0 (* (- 2.0) ?x3121))))))
(assert
 (let ((?x6644 (+ (- 21.0) s.temperature)))
(let ((?x3121 (ite (>= ?x6644 0.0) ?x6644 (- ?x6644))))
(or (not (and (<= 18.0 s.temperature) (>= 24.0 s.temperature))) (> 0.0 (* (- 1.0) ?x3121))))))
(check-sat)
