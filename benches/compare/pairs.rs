//! The body of `benches/compare.sh`: one sinusoid meta-iteration (f32, 10 tasks, Adam) run
//! alternately on two versions of tinycml linked into one binary (`old`, `new`).
use std::time::Instant;
macro_rules! runner {
    ($name:ident, $crate_:ident) => {
        mod $name {
            use $crate_::*;
            const P: usize = SinusoidMlp::PARAMS;
            pub struct Runner {
                cml: Cml<f32, SinusoidMlp, P>,
                tasks: Vec<Task<f32, 1, 10, 10>>,
                theta: ComplexSynapse<f32, P>,
                ws: Box<Workspace<f32, P>>,
                batch: Box<MetaGradient<f32, P>>,
                adam: Box<Adam<f32, P>>,
            }
            impl Runner {
                pub fn new() -> Self {
                    let cml = Cml::<f32, _, P>::new(
                        SinusoidMlp::new(Activation::Relu),
                        Config::default(),
                    )
                    .unwrap();
                    let mut rng = SplitMix64::new(3);
                    let tasks = (0..10)
                        .map(|_| {
                            sinusoid::draw_task::<f32, 10, 10>(&mut rng, 10, 10)
                                .unwrap()
                                .1
                        })
                        .collect();
                    let mut rng = SplitMix64::new(1);
                    let b = 1.0 / 40f64.sqrt();
                    let omega = core::array::from_fn(|_| rng.uniform(-b, b) as f32);
                    let theta = ComplexSynapse::<f32, P>::with_uniform_lambda(omega, 1.0).unwrap();
                    Runner {
                        cml,
                        tasks,
                        theta,
                        ws: Box::new(Workspace::new()),
                        batch: Box::new(MetaGradient::new()),
                        adam: Box::new(Adam::new(1e-4).unwrap()),
                    }
                }
                pub fn step(&mut self) -> f32 {
                    self.batch.clear();
                    for t in &self.tasks {
                        if self.cml.estimate(&self.theta, t, &mut self.ws).is_ok() {
                            self.batch.add(&self.ws);
                        }
                    }
                    let (go, gl) = self.batch.sums();
                    let _ = self.adam.step(
                        &mut self.theta,
                        go,
                        gl,
                        self.batch.tasks(),
                        &self.cml.bounds(),
                    );
                    self.theta.omega()[0]
                }
            }
        }
    };
}
runner!(o, old);
runner!(n, new);
fn main() {
    let (mut a, mut b) = (o::Runner::new(), n::Runner::new());
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for i in 0..400 {
        let t = Instant::now();
        let x = a.step();
        let da = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let y = b.step();
        let db = t.elapsed().as_secs_f64();
        assert_eq!(x, y);
        if i >= 20 {
            ta.push(da);
            tb.push(db);
        }
    }
    ta.sort_by(|x, y| x.partial_cmp(y).unwrap());
    tb.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let med = |v: &Vec<f64>| v[v.len() / 2] * 1e3;
    let p10 = |v: &Vec<f64>| v[v.len() / 10] * 1e3;
    let ratios: Vec<f64> = {
        let mut r: Vec<f64> = ta.iter().zip(&tb).map(|(a, b)| b / a).collect();
        r.sort_by(|x, y| x.partial_cmp(y).unwrap());
        r
    };
    println!("old median {:.2} ms (p10 {:.2}); new median {:.2} ms (p10 {:.2}); median per-pair ratio new/old {:.3}", med(&ta), p10(&ta), med(&tb), p10(&tb), ratios[ratios.len() / 2]);
}
