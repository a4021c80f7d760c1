(set-logic QF_LIA)
(set-info :status unknown)
(declare-fun s.battery () Int)
(declare-fun s.action () Int)
(declare-fun better.battery () Int)
(declare-fun better.action () Int)
(declare-fun s.supervised () Bool)
(declare-fun better.supervised () Bool)
(assert
 (>= s.battery 0))
(assert
 (<= s.battery 100))
(assert
 (>= s.action 0))
(assert
 (<= s.action 1))
(assert
 (>= better.battery 0))
(assert
 (<= better.battery 100))
(assert
 (>= better.action 0))
(assert
 (<= better.action 1))
(assert
 (let (($x4778 (= better.supervised s.supervised)))
 (and $x4778)))
(assert
 (= s.battery better.battery))
(assert
 (let ((?x3075 (+ (* (- 1) (ite (= s.action 0) 10 4)) (* (- 30) (ite (and s.supervised (= s.action 1)) 1 0)))))
 (let ((?x1691 (* (- 30) (ite (and better.supervised (= better.action 1)) 1 0))))
 (let ((?x3506 (* (- 1) (ite (= better.action 0) 10 4))))
 (let ((?x525 (+ ?x3506 ?x1691)))
 (> ?x525 (+ ?x3075 0)))))))
(assert
 (let (($x5228 (= s.action 1)))
(let (($x3736 (= s.action 0)))
(ite s.supervised $x3736 $x5228))))
(check-sat)
