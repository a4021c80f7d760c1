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
 (let ((?x3764 (+ (- 21.0) s.temperature)))
 (let ((?x5599 (ite (>= ?x3764 0.0) ?x3764 (- ?x3764))))
 (<= 10.0 (+ 10.0 (* (- 2.0) ?x5599))))))
(assert
 (let ((?x3764 (+ (- 21.0) s.temperature)))
(let ((?x5599 (ite (>= ?x3764 0.0) ?x3764 (- ?x3764))))
(or (not (and (<= 18.0 s.temperature) (>= 24.0 s.temperature))) (> 0.0 (* (- 1.0) ?x5599))))))
(check-sat)
