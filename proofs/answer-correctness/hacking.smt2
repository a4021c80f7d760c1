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
 (let (($x6852 (= s.action 0)))
 (let ((?x188 (ite $x6852 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
 (let ((?x3252 (to_real 1)))
 (<= ?x3252 ?x188)))))
(assert
 (let (($x6852 (= s.action 0)))
(let ((?x188 (ite $x6852 (+ (to_real (- 1)) (* (to_real 2) s.evidence)) (to_real 0))))
(let ((?x3252 (to_real 1)))
(or (not (=> $x6852 (<= (/ 1.0 5.0) s.evidence))) (> ?x3252 ?x188))))))
(check-sat)
