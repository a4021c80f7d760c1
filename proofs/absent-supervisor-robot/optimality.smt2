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
 (let (($x1193 (= better.supervised s.supervised)))
 (and $x1193)))
(assert
 (= s.battery better.battery))
(assert
 (let ((?x547 (ite (and s.supervised (= s.action 1)) 1 0)))
 (let ((?x5078 (* (- 30) ?x547)))
 (let (($x241 (= s.action 0)))
 (let ((?x2858 (ite $x241 10 4)))
 (let ((?x6804 (* (- 1) ?x2858)))
 (let ((?x2557 (* (- 30) (ite (and better.supervised (= better.action 1)) 1 0))))
 (let ((?x1096 (* (- 1) (ite (= better.action 0) 10 4))))
 (let ((?x4458 (+ ?x1096 ?x2557)))
 (> ?x4458 (+ (+ ?x6804 ?x5078) 0)))))))))))
(assert
 (let (($x4456 (= s.action 1)))
(let (($x241 (= s.action 0)))
(ite s.supervised $x241 $x4456))))
(check-sat)
