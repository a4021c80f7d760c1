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
 (let (($x241 (= s.action 0)))
 (let ((?x674 (ite $x241 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
 (let ((?x1641 (to_real 1)))
 (<= ?x1641 ?x674)))))
(assert
 (let (($x241 (= s.action 0)))
(let ((?x674 (ite $x241 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
(let ((?x1641 (to_real 1)))
(or (not (=> $x241 (<= (/ 1.0 5.0) s.evidence))) (> ?x1641 ?x674))))))
(check-sat)
