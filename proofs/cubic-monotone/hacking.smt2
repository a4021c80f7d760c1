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
 (let ((?x4465 (+ (- 5.0) s.x)))
(> 5.0 ?x4465)))
(check-sat)
