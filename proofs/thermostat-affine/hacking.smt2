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
 (let ((?x2545 (+ (- 21.0) s.temperature)))
 (let ((?x6782 (ite (>= ?x2545 0.0) ?x2545 (- ?x2545))))
 (<= 10.0 (+ 10.0 (* (- 2.0) ?x6782))))))
(assert
 (let ((?x2545 (+ (- 21.0) s.temperature)))
(let ((?x6782 (ite (>= ?x2545 0.0) ?x2545 (- ?x2545))))
(or (not (and (<= 18.0 s.temperature) (>= 24.0 s.temperature))) (> 0.0 (* (- 1.0) ?x6782))))))
(check-sat)
