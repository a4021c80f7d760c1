(set-logic QF_NRA)
(set-info :status unknown)
(declare-fun s.x () Real)
(assert
 (<= 0.0 s.x))
(assert
 (>= 10.0 s.x))
(assert
 (<= 125.0 (* (+ (- 5.0) s.x) (+ (- 5.0) s.x) (+ (- 5.0) s.x))))
(assert
 (let ((?x3808 (+ (- 5.0) s.x)))
(> 5.0 ?x3808)))
(check-sat)
