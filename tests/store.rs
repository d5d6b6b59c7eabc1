//! The export format: what is written is read back exactly, in any precision, and anything
//! damaged or meant for another model is refused.

use tinycml::store::{decode, encode, encoded_len};
use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;

fn exported() -> (Cml<f32, SinusoidMlp, P>, ComplexSynapse<f32, P>, Vec<u8>) {
    let config = Config {
        beta: 0.05,
        estimator: Estimator::Standard,
        learn: Learn::Omega,
        ..Config::default()
    };
    let cml = Cml::<f32, _, P>::new(SinusoidMlp::new(Activation::Tanh), config).unwrap();
    let mut rng = SplitMix64::new(9);
    let mut omega = [0.0f32; P];
    let mut lambda = [0.0f32; P];
    for (w, l) in omega.iter_mut().zip(lambda.iter_mut()) {
        *w = rng.uniform(-2.0, 2.0) as f32;
        *l = rng.uniform(0.01, 50.0) as f32;
    }
    let theta = ComplexSynapse::new(omega, lambda).unwrap();
    let mut bytes = vec![0u8; encoded_len(P)];
    assert_eq!(encode(&cml, &theta, &mut bytes), Ok(encoded_len(P)));
    (cml, theta, bytes)
}

#[test]
fn round_trip_is_exact_in_the_same_precision() {
    let (cml, theta, bytes) = exported();
    let (read_cml, read_theta) = decode::<f32, _, P>(cml.model(), &bytes).unwrap();
    assert_eq!(read_theta, theta);
    assert_eq!(read_cml.config(), cml.config());
}

#[test]
fn a_float_export_loads_into_the_device_format() {
    let (cml, theta, bytes) = exported();
    let (_, fixed) = decode::<Q16_16, _, P>(cml.model(), &bytes).unwrap();
    for (q, f) in fixed.omega().iter().zip(theta.omega()) {
        assert!((q.to_f64() - *f as f64).abs() <= 0.5 / (1u64 << 24) as f64);
    }
}

#[test]
fn every_single_byte_flip_is_detected() {
    let (cml, _, bytes) = exported();
    for position in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x10;
        assert_eq!(
            decode::<f32, _, P>(cml.model(), &damaged).unwrap_err(),
            Error::CorruptState,
            "flip at {position} not detected"
        );
    }
    assert_eq!(
        decode::<f32, _, P>(cml.model(), &bytes[..bytes.len() - 1]).unwrap_err(),
        Error::CorruptState
    );
}

#[test]
fn an_intact_export_of_another_format_version_is_refused_by_name() {
    let (cml, _, mut bytes) = exported();
    bytes[4..6].copy_from_slice(&1u16.to_le_bytes());
    let body = bytes.len() - 4;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    let error = decode::<f32, _, P>(cml.model(), &bytes).unwrap_err();
    assert_eq!(error, Error::UnsupportedVersion { found: 1 });
    assert!(error.to_string().contains("re-export"));
}

#[test]
fn an_export_for_another_model_is_refused() {
    let (_, _, bytes) = exported();
    let relu = SinusoidMlp::new(Activation::Relu);
    assert_eq!(
        decode::<f32, _, P>(&relu, &bytes).unwrap_err(),
        Error::CorruptState
    );
    let small = Mlp::<1, 8, 8>::new(Activation::Tanh);
    assert_eq!(
        decode::<f32, _, { Mlp::<1, 8, 8>::PARAMS }>(&small, &bytes).unwrap_err(),
        Error::CorruptState
    );
}

#[test]
fn values_the_format_cannot_hold_are_refused() {
    let cml = Cml::<f64, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let mut omega = [0.0f64; P];
    omega[3] = 500.0; // beyond Q8.24's ±128
    let theta = ComplexSynapse::with_uniform_lambda(omega, 1.0).unwrap();
    let mut bytes = vec![0u8; encoded_len(P)];
    encode(&cml, &theta, &mut bytes).unwrap();
    assert!(decode::<f64, _, P>(cml.model(), &bytes).is_ok());
    assert_eq!(
        decode::<Q16_16, _, P>(cml.model(), &bytes).unwrap_err(),
        Error::OutOfRange
    );
}

#[test]
fn a_short_buffer_is_an_error() {
    let (cml, theta, _) = exported();
    let mut short = vec![0u8; 100];
    assert_eq!(
        encode(&cml, &theta, &mut short),
        Err(Error::BufferTooSmall {
            needed: encoded_len(P)
        })
    );
}

#[test]
fn a_version_2_export_still_loads() {
    // The boards' priors were written in version 2 (80-byte header, one hidden activation).
    let path = format!(
        "{}/boards/app/priors/sinusoid-1-16-16-1.tcml",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 2);
    type Small = Mlp<1, 16, 16>;
    let (cml, theta) =
        decode::<Q16_16, _, { Small::PARAMS }>(&Small::new(Activation::Relu), &bytes).unwrap();
    assert_eq!(cml.config().estimator, Estimator::Symmetric);
    assert!(theta.lambda().iter().all(|l| l.to_f64() > 0.0));
    // The same file for the tanh network, or another loss, is refused.
    assert_eq!(
        decode::<Q16_16, _, { Small::PARAMS }>(&Small::new(Activation::Tanh), &bytes).unwrap_err(),
        Error::CorruptState
    );
    assert_eq!(
        store::decode_with_loss::<Q16_16, _, _, { Small::PARAMS }>(
            &Small::new(Activation::Relu),
            MaskedSquaredError,
            &bytes
        )
        .unwrap_err(),
        Error::CorruptState
    );
}

#[test]
fn a_deep_classifier_round_trips_with_its_shape_and_loss() {
    type Net = Network<4, Layer<6, Layer<5, Layer<4, Layer<3>>>>>;
    const NP: usize = Net::PARAMS;
    let net = Net::from_layers(Layer::new(
        Activation::Tanh,
        Layer::new(
            Activation::Relu,
            Layer::new(Activation::Identity, Layer::new(Activation::Identity, End)),
        ),
    ));
    let cml = Cml::<f64, _, NP, _>::with_loss(net, SoftmaxCrossEntropy, Config::default()).unwrap();
    let mut rng = SplitMix64::new(5);
    let omega = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let lambda = core::array::from_fn(|_| rng.uniform(0.1, 2.0));
    let theta = ComplexSynapse::<f64, NP>::new(omega, lambda).unwrap();
    let mut bytes = vec![0u8; encoded_len(NP)];
    encode(&cml, &theta, &mut bytes).unwrap();
    let (back, theta_back) =
        store::decode_with_loss::<f64, _, _, NP>(&net, SoftmaxCrossEntropy, &bytes).unwrap();
    assert_eq!(theta_back, theta);
    assert_eq!(back.config(), cml.config());
    assert_eq!(Model::<f64>::shape(back.model()).to_string(), "4-6-5-4-3");
    // Another loss, another activation in any layer, or another width: refused.
    let wrong_loss = store::decode_with_loss::<f64, _, _, NP>(&net, MaskedSquaredError, &bytes);
    assert_eq!(wrong_loss.unwrap_err(), Error::CorruptState);
    let mut other = net;
    other.layers.rest.rest.activation = Activation::Tanh;
    let wrong_activation =
        store::decode_with_loss::<f64, _, _, NP>(&other, SoftmaxCrossEntropy, &bytes);
    assert_eq!(wrong_activation.unwrap_err(), Error::CorruptState);
    type Wider = Network<4, Layer<6, Layer<5, Layer<4, Layer<4>>>>>;
    let wider = store::decode_with_loss::<f64, _, _, { Wider::PARAMS }>(
        &Wider::new(Activation::Relu),
        SoftmaxCrossEntropy,
        &bytes,
    );
    assert_eq!(wider.unwrap_err(), Error::CorruptState);
}
