//! The two small library entry points the board firmware relies on: θ built from raw bits in
//! a `const` context (a prior kept in flash), and adapting in a meta-learner's workspace.

use tinycml::*;

type N = Q16_16;
type Param = <N as Precision>::Param;
const P: usize = Mlp::<1, 4, 4>::PARAMS;

fn bits(value: f64) -> i32 {
    Param::from_f64(value).unwrap().to_bits()
}

#[test]
fn from_bits_matches_new_and_runs_in_const() {
    const OMEGA: [i32; 3] = [1 << 23, -(1 << 22), 7];
    const LAMBDA: [i32; 3] = [1 << 24, 1, 1 << 20];
    static THETA: ComplexSynapse<N, 3> = match ComplexSynapse::from_bits(&OMEGA, &LAMBDA) {
        Ok(theta) => theta,
        Err(_) => panic!("valid bits refused"),
    };
    let omega = OMEGA.map(Param::from_bits);
    let lambda = LAMBDA.map(Param::from_bits);
    let expected = ComplexSynapse::<N, 3>::new(omega, lambda).unwrap();
    assert_eq!(THETA, expected);
    assert_eq!(THETA.fingerprint(), expected.fingerprint());
}

#[test]
fn from_bits_refuses_what_new_refuses() {
    let ok = [bits(0.5); 2];
    let errors = [
        ([i32::MAX, 0], ok, Error::NotFinite),
        ([0, i32::MIN], ok, Error::NotFinite),
        (ok, [bits(1.0), i32::MAX], Error::NotFinite),
        (ok, [bits(1.0), 0], Error::LambdaNotPositive),
        (ok, [bits(-1.0), bits(1.0)], Error::LambdaNotPositive),
    ];
    for (omega, lambda, error) in errors {
        assert_eq!(
            ComplexSynapse::<N, 2>::from_bits(&omega, &lambda),
            Err(error)
        );
        let converted =
            ComplexSynapse::<N, 2>::new(omega.map(Param::from_bits), lambda.map(Param::from_bits));
        assert_eq!(converted, Err(error));
    }
}

#[test]
fn adapting_in_the_workspace_equals_adapting_in_own_buffers() {
    let cml =
        Cml::<N, _, P>::new(Mlp::<1, 4, 4>::new(Activation::Relu), Config::default()).unwrap();
    let mut rng = SplitMix64::new(3);
    let omega = core::array::from_fn(|_| Param::from_f64(rng.uniform(-0.5, 0.5)).unwrap());
    let theta = ComplexSynapse::<N, P>::with_uniform_lambda(omega, 1.0).unwrap();
    let (_, task) = sinusoid::draw_task::<_, 10, 10>(&mut rng, 10, 10).unwrap();

    let (mut phi, mut grad) = ([Param::ZERO; P], [Param::ZERO; P]);
    cml.adapt(&theta, &task, Some(20), &mut phi, &mut grad)
        .unwrap();

    let mut ws = Workspace::<N, P>::new();
    cml.estimate(&theta, &task, &mut ws).unwrap();
    let (ws_phi, ws_grad) = ws.adapt_buffers();
    cml.adapt(&theta, &task, Some(20), ws_phi, ws_grad).unwrap();
    assert_eq!(*ws_phi, phi);
}
