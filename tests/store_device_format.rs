//! Format version 5: values stored in the device's number format (or `f32`), read exactly or
//! refused; and the compile-time reader that embeds such an export in flash.

use tinycml::dual::{DualCml, DualModel, DualState, DualSystem};
use tinycml::nn::Shape;
use tinycml::store::flash::{self, Prior};
use tinycml::store::{self, ValueType};
use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;
const Q8_24: ValueType = ValueType::of::<Q16_16>();

/// The sinusoid network's θ in f64: ω in ±2, λ in (0.01, 50), from a seed.
fn sinusoid_theta() -> (Cml<f64, SinusoidMlp, P>, ComplexSynapse<f64, P>) {
    let cml = Cml::<f64, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let mut rng = SplitMix64::new(5);
    let omega = core::array::from_fn(|_| rng.uniform(-2.0, 2.0));
    let lambda = core::array::from_fn(|_| rng.uniform(0.01, 50.0));
    (cml, ComplexSynapse::new(omega, lambda).unwrap())
}

fn encoded_as<N: Precision, M: Model<N>, const Q: usize>(
    cml: &Cml<N, M, Q>,
    theta: &ComplexSynapse<N, Q>,
    value_type: ValueType,
) -> Vec<u8> {
    let mut bytes = vec![0u8; store::encoded_len_as(Q, value_type)];
    assert_eq!(
        store::encode_as(cml, theta, value_type, &mut bytes),
        Ok(bytes.len())
    );
    bytes
}

#[test]
fn the_device_format_holds_exactly_the_bits_a_device_reader_makes_of_the_f64_export() {
    let (cml, theta) = sinusoid_theta();
    let mut f64_bytes = vec![0u8; store::encoded_len(P)];
    store::encode(&cml, &theta, &mut f64_bytes).unwrap();
    let (_, from_f64) = store::decode::<Q16_16, _, P>(cml.model(), &f64_bytes).unwrap();

    let device = encoded_as(&cml, &theta, Q8_24);
    assert_eq!(u16::from_le_bytes([device[4], device[5]]), store::VERSION_5);
    let (read_cml, from_device) = store::decode::<Q16_16, _, P>(cml.model(), &device).unwrap();
    assert_eq!(from_device, from_f64);
    assert_eq!(read_cml.config(), cml.config());

    // Re-exporting what a device read gives the same bytes.
    let device_cml = Cml::<Q16_16, _, P>::new(*cml.model(), *cml.config()).unwrap();
    assert_eq!(encoded_as(&device_cml, &from_device, Q8_24), device);
}

#[test]
fn the_sinusoid_export_in_f32_or_q8_24_is_about_half_the_f64_size() {
    let (cml, theta) = sinusoid_theta();
    let f64_len = store::encoded_len(P);
    for value_type in [ValueType::F32, Q8_24] {
        let len = encoded_as(&cml, &theta, value_type).len();
        assert_eq!(len, store::HEADER_LEN_5 + 8 * P + 4);
        // 14,236 bytes against 28,308: the values halve, the header grows by 16 bytes.
        assert!(
            (len as f64) < 0.51 * f64_len as f64,
            "{value_type}: {len} of {f64_len} bytes"
        );
    }
}

#[test]
fn every_precision_reads_a_version_5_file_whose_values_it_holds_exactly() {
    let (cml, theta) = sinusoid_theta();
    let device_cml = Cml::<Q16_16, _, P>::new(*cml.model(), *cml.config()).unwrap();
    let (_, device_theta) = {
        let bytes = encoded_as(&cml, &theta, Q8_24);
        store::decode::<Q16_16, _, P>(cml.model(), &bytes).unwrap()
    };
    let q_bytes = encoded_as(&device_cml, &device_theta, Q8_24);
    // Q8.24 → f64: exact, the same values.
    let (_, wide) = store::decode::<f64, _, P>(cml.model(), &q_bytes).unwrap();
    for (w, q) in wide.omega().iter().zip(device_theta.omega()) {
        assert_eq!(*w, q.to_f64());
    }
    // Q8.24 → f32: these values need more than 24 significant bits.
    assert_eq!(
        store::decode::<f32, _, P>(cml.model(), &q_bytes).unwrap_err(),
        Error::InexactValue { stored: Q8_24 }
    );
    // f64 values that are not f32 values are refused by an f32 reader of a version-5 file,
    // and read exactly by an f64 reader.
    let f64_v5 = encoded_as(&cml, &theta, ValueType::F64);
    assert_eq!(
        store::decode::<f32, _, P>(cml.model(), &f64_v5).unwrap_err(),
        Error::InexactValue {
            stored: ValueType::F64
        }
    );
    assert_eq!(
        store::decode::<f64, _, P>(cml.model(), &f64_v5).unwrap().1,
        theta
    );
    // An f32 file: exact in f64, refused in Q8.24 (its values fall between Q8.24 steps).
    let f32_v5 = encoded_as(&cml, &theta, ValueType::F32);
    let (_, from_f32) = store::decode::<f64, _, P>(cml.model(), &f32_v5).unwrap();
    for (read, original) in from_f32.omega().iter().zip(theta.omega()) {
        assert_eq!(*read, *original as f32 as f64);
    }
    assert_eq!(
        store::decode::<Q16_16, _, P>(cml.model(), &f32_v5).unwrap_err(),
        Error::InexactValue {
            stored: ValueType::F32
        }
    );
}

#[test]
fn an_f32_file_of_q8_24_values_is_read_by_a_device() {
    // Multiples of 2⁻¹⁰ below 128 are f32 and Q8.24 values alike: the conversion is exact.
    let cml = Cml::<f32, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let omega = core::array::from_fn(|i| (i as f32 - 900.0) / 1024.0);
    let theta = ComplexSynapse::<f32, P>::with_uniform_lambda(omega, 2.5).unwrap();
    let bytes = encoded_as(&cml, &theta, ValueType::F32);
    let (_, device) = store::decode::<Q16_16, _, P>(cml.model(), &bytes).unwrap();
    for (q, f) in device.omega().iter().zip(theta.omega()) {
        assert_eq!(q.to_f64(), *f as f64);
    }
}

#[test]
fn values_beyond_the_stored_type_are_refused_when_writing_and_reading() {
    let cml = Cml::<f64, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let theta = ComplexSynapse::<f64, P>::with_uniform_lambda([200.0; P], 1.0).unwrap();
    let mut out = vec![0u8; store::encoded_len_as(P, Q8_24)];
    assert_eq!(
        store::encode_as(&cml, &theta, Q8_24, &mut out),
        Err(Error::OutOfRange)
    );
    let huge = ComplexSynapse::<f64, P>::with_uniform_lambda([1e300; P], 1.0).unwrap();
    assert_eq!(
        store::encode_as(&cml, &huge, ValueType::F32, &mut out),
        Err(Error::OutOfRange)
    );
    // 200 is an f32 value, but not a Q8.24 one.
    let bytes = encoded_as(&cml, &theta, ValueType::F32);
    assert_eq!(
        store::decode::<Q16_16, _, P>(cml.model(), &bytes).unwrap_err(),
        Error::OutOfRange
    );
    assert_eq!(
        store::encode_as(&cml, &theta, ValueType::F32, &mut out[..100]),
        Err(Error::BufferTooSmall {
            needed: store::encoded_len_as(P, ValueType::F32)
        })
    );
}

/// Recomputes the checksum after an edit.
fn reseal(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn a_damaged_version_5_header_is_refused() {
    let (cml, theta) = sinusoid_theta();
    let bytes = encoded_as(&cml, &theta, Q8_24);
    // Reserved bytes, an unknown type code, fraction bits beyond 32, f64 with fraction bits.
    for (at, value) in [(138, 1), (143, 7), (136, 3), (137, 33)] {
        let mut damaged = bytes.clone();
        damaged[at] = value;
        reseal(&mut damaged);
        assert_eq!(
            store::decode::<f64, _, P>(cml.model(), &damaged).unwrap_err(),
            Error::CorruptState,
            "byte {at} = {value}"
        );
    }
    let mut f64_with_fraction = encoded_as(&cml, &theta, ValueType::F64);
    f64_with_fraction[137] = 24;
    reseal(&mut f64_with_fraction);
    assert!(store::decode::<f64, _, P>(cml.model(), &f64_with_fraction).is_err());
    // A type of another size makes the length wrong.
    let mut resized = bytes.clone();
    resized[136] = 0;
    resized[137] = 0;
    reseal(&mut resized);
    assert_eq!(
        store::decode::<f64, _, P>(cml.model(), &resized).unwrap_err(),
        Error::CorruptState
    );
    for cut in [1, 4, bytes.len() / 2] {
        assert_eq!(
            store::decode::<f64, _, P>(cml.model(), &bytes[..bytes.len() - cut]).unwrap_err(),
            Error::CorruptState
        );
    }
}

type Dual = DualSystem<1, Layer<8, Layer<8, Layer<1>>>>;
const B: usize = Dual::BODY;
const F: usize = Dual::FAST;

fn dual_theta() -> (DualCml<f64, Dual, B, F>, DualState<f64, B, F>) {
    let system = Dual::new(Activation::Tanh);
    let cml = DualCml::<f64, _, B, F>::new(system, Config::default(), Some(0.1)).unwrap();
    let mut rng = SplitMix64::new(3);
    let body = core::array::from_fn(|_| rng.uniform(-0.5, 0.5));
    (cml, DualState::with_initial_fast(&system, body).unwrap())
}

#[test]
fn a_dual_system_in_the_device_format_reads_back_the_device_bits() {
    let (cml, theta) = dual_theta();
    let mut f64_bytes = vec![0u8; store::encoded_dual_len(B, F)];
    store::encode_dual(&cml, &theta, &mut f64_bytes).unwrap();
    let (_, from_f64) =
        store::decode_dual::<Q16_16, _, B, F, _>(cml.system(), SquaredError, &f64_bytes).unwrap();

    let mut bytes = vec![0u8; store::encoded_dual_len_as(B, F, Q8_24)];
    assert_eq!(
        store::encode_dual_as(&cml, &theta, Q8_24, &mut bytes),
        Ok(bytes.len())
    );
    assert_eq!(store::model_kind(&bytes), Ok(store::ModelKind::DualSystem));
    let (read, device) =
        store::decode_dual::<Q16_16, _, B, F, _>(cml.system(), SquaredError, &bytes).unwrap();
    assert_eq!(device, from_f64);
    assert_eq!(
        read.mu().map(|mu| mu.to_f64()),
        Some(0.1f64).map(|mu| { <Q16_16 as Precision>::Param::from_f64(mu).unwrap().to_f64() })
    );
    // A complex synapse reader refuses it by name.
    assert!(matches!(
        store::decode::<f64, _, P>(&SinusoidMlp::new(Activation::Relu), &bytes),
        Err(Error::WrongModelKind { .. })
    ));
}

// The compile-time reader.

type Small = Mlp<1, 8, 8>;
const SP: usize = Small::PARAMS;
const SMALL_SHAPE: Shape = Shape::new(1)
    .with_layer(8, Activation::Relu)
    .with_layer(8, Activation::Relu)
    .with_layer(1, Activation::Identity);
const FIXTURE: &[u8] = include_bytes!("data/flash-1-8-8-1.tcml");

/// The committed fixture: a 1-8-8-1 ReLU θ from a seed, with settings other than the
/// defaults in every field the reader parses, written for Q16_16.
fn fixture() -> Vec<u8> {
    let config = Config::default()
        .with_free_lr(0.02)
        .with_nudged_steps(30)
        .with_nudged_lr(0.015)
        .with_beta(0.2)
        .with_estimator(Estimator::Standard)
        .with_learn(Learn::Lambda)
        .with_lambda_min(0.001)
        .with_lambda_max(40.0);
    let cml = Cml::<f64, _, SP>::new(Small::new(Activation::Relu), config).unwrap();
    let mut rng = SplitMix64::new(81);
    let omega = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let lambda = core::array::from_fn(|_| rng.uniform(0.1, 20.0));
    let theta = ComplexSynapse::new(omega, lambda).unwrap();
    encoded_as(&cml, &theta, Q8_24)
}

#[test]
fn the_committed_fixture_is_what_its_recipe_writes() {
    // TINYCML_BLESS=1 rewrites it (after a deliberate change of the recipe).
    if std::env::var_os("TINYCML_BLESS").is_some() {
        std::fs::write("tests/data/flash-1-8-8-1.tcml", fixture()).unwrap();
    }
    assert_eq!(FIXTURE, fixture().as_slice());
}

const EMBEDDED: Prior<ComplexSynapse<Q16_16, SP>> =
    tinycml::embed_complex_synapse!(FIXTURE, SMALL_SHAPE, "squared_error");
static IN_FLASH: ComplexSynapse<Q16_16, SP> = EMBEDDED.theta;

#[test]
fn the_compile_time_reader_agrees_with_the_run_time_decoder() {
    let model = Small::new(Activation::Relu);
    let (cml, theta) = store::decode::<Q16_16, _, SP>(&model, FIXTURE).unwrap();
    assert_eq!(IN_FLASH, theta);
    assert_eq!(EMBEDDED.config, *cml.config());
    assert_eq!(EMBEDDED.fingerprint, theta.fingerprint());
    assert_eq!(EMBEDDED.mu, None);
    assert_eq!(EMBEDDED.len, FIXTURE.len());
    assert_eq!(Model::<Q16_16>::shape(&model), SMALL_SHAPE);
}

fn refusal(bytes: &[u8], shape: &Shape, loss: &str) -> Error {
    flash::complex_synapse::<SP>(bytes, shape, loss)
        .unwrap_err()
        .error
}

#[test]
fn the_compile_time_reader_refuses_what_the_decoder_refuses_and_other_formats() {
    assert_eq!(
        refusal(FIXTURE, &SMALL_SHAPE, "softmax_cross_entropy"),
        Error::CorruptState
    );
    let tanh = Shape::new(1)
        .with_layer(8, Activation::Tanh)
        .with_layer(8, Activation::Tanh)
        .with_layer(1, Activation::Identity);
    assert_eq!(
        refusal(FIXTURE, &tanh, "squared_error"),
        Error::CorruptState
    );
    let wider = Shape::new(1)
        .with_layer(9, Activation::Relu)
        .with_layer(7, Activation::Relu)
        .with_layer(1, Activation::Identity);
    assert_eq!(
        refusal(FIXTURE, &wider, "squared_error"),
        Error::CorruptState
    );
    for position in (0..FIXTURE.len()).step_by(53) {
        let mut damaged = FIXTURE.to_vec();
        damaged[position] ^= 0x04;
        let error = refusal(&damaged, &SMALL_SHAPE, "squared_error");
        assert!(
            matches!(
                error,
                Error::CorruptState
                    | Error::UnsupportedVersion { .. }
                    | Error::WrongModelKind { .. }
            ),
            "flip at {position}: {error:?}"
        );
        assert!(store::decode::<Q16_16, _, SP>(&Small::new(Activation::Relu), &damaged).is_err());
    }
    assert_eq!(
        refusal(&FIXTURE[..FIXTURE.len() - 4], &SMALL_SHAPE, "squared_error"),
        Error::CorruptState
    );
    // An f64 export (version 3) is rounded as the run-time decoder rounds it; f32 values
    // between two Q8.24 steps in a version-5 file are refused, with the way out.
    let model = Small::new(Activation::Relu);
    let (cml, theta) = store::decode::<f64, _, SP>(&model, FIXTURE).unwrap();
    let wide = ComplexSynapse::<f64, SP>::new(
        core::array::from_fn(|i| theta.omega()[i] + 1e-9 * i as f64),
        *theta.lambda(),
    )
    .unwrap();
    let mut v3 = vec![0u8; store::encoded_len(SP)];
    store::encode(&cml, &wide, &mut v3).unwrap();
    let embedded = flash::complex_synapse::<SP>(&v3, &SMALL_SHAPE, "squared_error").unwrap();
    let (_, decoded) = store::decode::<Q16_16, _, SP>(&model, &v3).unwrap();
    assert_eq!(embedded.theta, decoded);
    assert_ne!(
        embedded.theta, IN_FLASH,
        "the offsets round to other bits somewhere"
    );
    let f32_file = encoded_as(&cml, &wide, ValueType::F32);
    let refused =
        flash::complex_synapse::<SP>(&f32_file, &SMALL_SHAPE, "squared_error").unwrap_err();
    assert_eq!(
        refused.error,
        Error::InexactValue {
            stored: ValueType::F32
        }
    );
    assert!(refused.to_string().contains("encode_as"));
    assert_eq!(
        store::decode::<Q16_16, _, SP>(&model, &f32_file).unwrap_err(),
        refused.error
    );
    let mut v1 = FIXTURE.to_vec();
    v1[4] = 1;
    reseal(&mut v1);
    assert_eq!(
        refusal(&v1, &SMALL_SHAPE, "squared_error"),
        Error::UnsupportedVersion { found: 1 }
    );
    // A dual system's reader refuses a complex synapse by name.
    assert!(matches!(
        flash::dual_state::<B, F>(FIXTURE, &SMALL_SHAPE, "squared_error")
            .unwrap_err()
            .error,
        Error::WrongModelKind { .. }
    ));
}

#[test]
fn the_compile_time_dual_reader_agrees_with_the_run_time_decoder() {
    let (cml, theta) = dual_theta();
    let mut bytes = vec![0u8; store::encoded_dual_len_as(B, F, Q8_24)];
    store::encode_dual_as(&cml, &theta, Q8_24, &mut bytes).unwrap();
    let shape = Shape::new(1)
        .with_layer(8, Activation::Tanh)
        .with_layer(8, Activation::Tanh)
        .with_layer(1, Activation::Identity);
    assert_eq!(DualModel::<f64>::shape(cml.system()), shape);
    let embedded = flash::dual_state::<B, F>(&bytes, &shape, "squared_error").unwrap();
    let (read, device) =
        store::decode_dual::<Q16_16, _, B, F, _>(cml.system(), SquaredError, &bytes).unwrap();
    assert_eq!(embedded.theta, device);
    assert_eq!(embedded.fingerprint, device.fingerprint());
    assert_eq!(embedded.config, *read.config());
    assert_eq!(embedded.mu, Some(0.1));
    // The f64 export (version 4) embeds to the same θ.
    let mut v4 = vec![0u8; store::encoded_dual_len(B, F)];
    store::encode_dual(&cml, &theta, &mut v4).unwrap();
    let from_v4 = flash::dual_state::<B, F>(&v4, &shape, "squared_error").unwrap();
    assert_eq!(from_v4.theta, embedded.theta);
    assert_eq!(from_v4.fingerprint, embedded.fingerprint);
    assert_eq!((from_v4.config, from_v4.mu), (embedded.config, embedded.mu));
    assert_eq!(from_v4.len, v4.len());
}

#[test]
fn the_compile_time_reader_rounds_f64_exports_exactly_as_the_run_time_decoder() {
    // Halfway cases both sides of 0, values a hair either side of a step, the ends of Q8.24.
    let step = 1.0 / (1u64 << 24) as f64;
    let mut rng = SplitMix64::new(12);
    let omega: [f64; SP] = core::array::from_fn(|i| match i % 6 {
        0 => (rng.uniform(-1e6, 1e6) as i64 as f64 + 0.5) * step,
        1 => -(rng.uniform(0.0, 1e6) as i64 as f64 + 0.5) * step,
        2 => rng.uniform(-127.0, 127.0) + step * 0.499_999,
        3 => 127.999_999 - step * (i as f64 + 0.5),
        4 => -128.0 + step * 1.5,
        _ => rng.uniform(-2.0, 2.0),
    });
    let lambda = core::array::from_fn(|i| 0.5 * step + (i as f64) * 0.01);
    let model = Small::new(Activation::Relu);
    let cml = Cml::<f64, _, SP>::new(model, Config::default()).unwrap();
    let theta = ComplexSynapse::new(omega, lambda).unwrap();
    let mut v3 = vec![0u8; store::encoded_len(SP)];
    store::encode(&cml, &theta, &mut v3).unwrap();
    let (_, decoded) = store::decode::<Q16_16, _, SP>(&model, &v3).unwrap();
    let embedded = flash::complex_synapse::<SP>(&v3, &SMALL_SHAPE, "squared_error").unwrap();
    assert_eq!(embedded.theta, decoded);
    assert_eq!(embedded.fingerprint, decoded.fingerprint());

    // Beyond the range: both refuse.
    let mut beyond = omega;
    beyond[7] = 128.0;
    let theta = ComplexSynapse::new(beyond, lambda).unwrap();
    store::encode(&cml, &theta, &mut v3).unwrap();
    assert_eq!(
        store::decode::<Q16_16, _, SP>(&model, &v3).unwrap_err(),
        Error::OutOfRange
    );
    assert_eq!(
        refusal(&v3, &SMALL_SHAPE, "squared_error"),
        Error::OutOfRange
    );
}

#[test]
fn the_compile_time_reader_reads_the_boards_version_2_prior_as_the_decoder() {
    const H16: usize = Mlp::<1, 16, 16>::PARAMS;
    const BOARD_PRIOR: &[u8] = include_bytes!("../boards/app/priors/sinusoid-1-16-16-1.tcml");
    assert_eq!(u16::from_le_bytes([BOARD_PRIOR[4], BOARD_PRIOR[5]]), 2);
    let relu = Shape::new(1)
        .with_layer(16, Activation::Relu)
        .with_layer(16, Activation::Relu)
        .with_layer(1, Activation::Identity);
    let model = Mlp::<1, 16, 16>::new(Activation::Relu);
    let (cml, theta) = store::decode::<Q16_16, _, H16>(&model, BOARD_PRIOR).unwrap();
    let embedded = flash::complex_synapse::<H16>(BOARD_PRIOR, &relu, "squared_error").unwrap();
    assert_eq!(embedded.theta, theta);
    assert_eq!(embedded.config, *cml.config());
    assert_eq!(embedded.fingerprint, theta.fingerprint());
    // Version 2 means one hidden activation and the squared error: tanh or another loss is
    // refused, as by the decoder.
    let tanh = Shape::new(1)
        .with_layer(16, Activation::Tanh)
        .with_layer(16, Activation::Tanh)
        .with_layer(1, Activation::Identity);
    let error = |shape: &Shape, loss: &str| {
        flash::complex_synapse::<H16>(BOARD_PRIOR, shape, loss)
            .unwrap_err()
            .error
    };
    assert_eq!(error(&tanh, "squared_error"), Error::CorruptState);
    assert_eq!(error(&relu, "masked_squared_error"), Error::CorruptState);
}
