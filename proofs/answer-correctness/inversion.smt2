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
 (let ((?x4243 (to_real 0)))
 (let (($x5464 (= s2.action 0)))
 (let ((?x6216 (+ (ite $x5464 (+ (to_real (- 1)) (* (to_real 2) s2.evidence)) ?x4243) ?x4243)))
 (let (($x5054 (= s1.action 0)))
 (let ((?x2545 (ite $x5054 (+ (to_real (- 1)) (* (to_real 2) s1.evidence)) ?x4243)))
 (> ?x2545 ?x6216)))))))
(assert
 (let ((?x4243 (to_real 0)))
(let (($x5464 (= s2.action 0)))
(let ((?x6216 (+ (ite $x5464 (+ (to_real (- 1)) (* (to_real 2) s2.evidence)) ?x4243) ?x4243)))
(let (($x5054 (= s1.action 0)))
(let ((?x2545 (ite $x5054 (+ (to_real (- 1)) (* (to_real 2) s1.evidence)) ?x4243)))
(< ?x2545 ?x6216)))))))
(check-sat)
