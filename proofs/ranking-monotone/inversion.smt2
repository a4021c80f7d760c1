(set-logic QF_LIA)
(set-info :status unknown)
(declare-fun s1.relevance () Int)
(declare-fun s1.slot () Int)
(declare-fun s2.relevance () Int)
(declare-fun s2.slot () Int)
(assert
 (>= s1.relevance 0))
(assert
 (<= s1.relevance 10))
(assert
 (>= s1.slot 0))
(assert
 (<= s1.slot 1))
(assert
 (>= s2.relevance 0))
(assert
 (<= s2.relevance 10))
(assert
 (>= s2.slot 0))
(assert
 (<= s2.slot 1))
(assert
 (let ((?x479 (+ (+ s2.relevance (ite (> 8 s2.relevance) s2.relevance 8)) 0)))
 (> (+ s1.relevance (ite (> 8 s1.relevance) s1.relevance 8)) ?x479)))
(assert
 (< s1.relevance (+ s2.relevance 0)))
(check-sat)
