(set-logic QF_NRA)
(set-info :status unknown)
(declare-fun s1.x () Real)
(declare-fun s2.x () Real)
(assert
 (<= 0.0 s1.x))
(assert
 (>= 10.0 s1.x))
(assert
 (<= 0.0 s2.x))
(assert
 (>= 10.0 s2.x))
(assert
 (> (* (+ (- 5.0) s1.x) (+ (- 5.0) s1.x) (+ (- 5.0) s1.x)) (+ (* (+ (- 5.0) s2.x) (+ (- 5.0) s2.x) (+ (- 5.0) s2.x)) 0.0)))
(assert
 (let ((?x3979 (+ (- 5.0) s1.x)))
(< ?x3979 (+ (+ (- 5.0) s2.x) 0.0))))
(check-sat)
