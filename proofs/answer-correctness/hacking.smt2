(set-logic QF_LIRA)
(set-info :status unknown)
(declare-fun s.evidence () Real)
(declare-fun s.polish () Real)
(declare-fun s.action () Int)
(assert
 (<= 0.0 s.evidence))
(assert
 (>= 1.0 s.evidence))
(assert
 (<= 0.0 s.polish))
(assert
 (>= 1.0 s.polish))
(assert
 (>= s.action 0))
(assert
 (<= s.action 1))
(assert
 (let (($x3736 (= s.action 0)))
 (let ((?x5325 (ite $x3736 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
 (let ((?x4233 (to_real 1)))
 (<= ?x4233 ?x5325)))))
(assert
 (let (($x3736 (= s.action 0)))
(let ((?x5325 (ite $x3736 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
(let ((?x4233 (to_real 1)))
(or (not (=> $x3736 (<= (/ 1.0 5.0) s.evidence))) (> ?x4233 ?x5325))))))
(check-sat)
