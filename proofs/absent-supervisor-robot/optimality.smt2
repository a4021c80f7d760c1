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
 (let (($x5413 (= better.supervised s.supervised)))
 (and $x5413)))
(assert
 (= s.battery better.battery))
(assert
 (let ((?x4259 (* (- 30) (ite (and s.supervised (= s.action 1)) 1 0))))
 (let ((?x1513 (* (- 1) (ite (= s.action 0) 10 4))))
 (let ((?x1068 (+ ?x1513 ?x4259)))
 (let ((?x244 (ite (and better.supervised (= better.action 1)) 1 0)))
 (let ((?x5346 (* (- 30) ?x244)))
 (let ((?x1608 (ite (= better.action 0) 10 4)))
 (let ((?x5464 (* (- 1) ?x1608)))
 (> (+ ?x5464 ?x5346) (+ ?x1068 0))))))))))
(assert
 (let (($x258 (= s.action 1)))
(let (($x6852 (= s.action 0)))
(ite s.supervised $x6852 $x258))))
(check-sat)
