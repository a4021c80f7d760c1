(set-logic QF_LIRA)
(set-info :status unknown)
(declare-fun s1.evidence () Real)
(declare-fun s1.polish () Real)
(declare-fun s1.action () Int)
(declare-fun s2.evidence () Real)
(declare-fun s2.polish () Real)
(declare-fun s2.action () Int)
(assert
 (<= 0.0 s1.evidence))
(assert
 (>= 1.0 s1.evidence))
(assert
 (<= 0.0 s1.polish))
(assert
 (>= 1.0 s1.polish))
(assert
 (>= s1.action 0))
(assert
 (<= s1.action 1))
(assert
 (<= 0.0 s2.evidence))
(assert
 (>= 1.0 s2.evidence))
(assert
 (<= 0.0 s2.polish))
(assert
 (>= 1.0 s2.polish))
(assert
 (>= s2.action 0))
(assert
 (<= s2.action 1))
(assert
 (let ((?x5165 (to_real 0)))
 (let (($x1096 (= s2.action 0)))
 (let ((?x7245 (+ (ite $x1096 (+ (to_real (- 1)) (* (to_real 2) s2.evidence)) ?x5165) ?x5165)))
 (let (($x6644 (= s1.action 0)))
 (let ((?x2723 (ite $x6644 (+ (to_real (- 1)) (* (to_real 2) s1.evidence)) ?x5165)))
 (> ?x2723 ?x7245)))))))
(assert
 (let ((?x5165 (to_real 0)))
(let (($x1096 (= s2.action 0)))
(let ((?x7245 (+ (ite $x1096 (+ (to_real (- 1)) (* (to_real 2) s2.evidence)) ?x5165) ?x5165)))
(let (($x6644 (= s1.action 0)))
(let ((?x2723 (ite $x6644 (+ (to_real (- 1)) (* (to_real 2) s1.evidence)) ?x5165)))
(< ?x2723 ?x7245)))))))
(check-sat)
