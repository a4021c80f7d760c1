(set-logic QF_LIA)
(set-info :status unknown)
(declare-fun s.relevance () Int)
(declare-fun s.slot () Int)
(assert
 (>= s.relevance 0))
(assert
 (<= s.relevance 10))
(assert
 (>= s.slot 0))
(assert
 (<= s.slot 1))
(assert
 (<= 18 (+ s.relevance (ite (> 8 s.relevance) s.relevance 8))))
(assert
 (> 10 s.relevance))
(check-sat)
