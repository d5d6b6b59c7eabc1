//! The export format: what is written is read back exactly, in any precision, and anything
//! damaged or meant for another model is refused.

use tinycml::store::{decode, encode, encoded_len};
use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;

fn exported() -> (Cml<f32, SinusoidMlp, P>, ComplexSynapse<f32, P>, Vec<u8>) {
    let config = Config::default()
        .with_beta(0.05)
        .with_estimator(Estimator::Standard)
        .with_learn(Learn::Omega);
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

// ---- The dual system (format version 4) -------------------------------------------------

use tinycml::dual::{DualCml, DualState, DualSystem};
use tinycml::store::{decode_dual, encode_dual, encoded_dual_len, model_kind, ModelKind};

/// The sinusoid dual system of the boards: 1-40-40-1, tanh.
type Dual = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
const B: usize = Dual::BODY;
const F: usize = Dual::FAST;
/// A small one, for the exhaustive corruption checks.
type SmallDual = DualSystem<1, Layer<6, Layer<5, Layer<1>>>>;
const SB: usize = SmallDual::BODY;
const SF: usize = SmallDual::FAST;

fn dual_config() -> Config {
    Config::default()
        .with_free_steps(30)
        .with_nudged_steps(15)
        .with_beta(0.2)
        .with_estimator(Estimator::Standard)
}

/// A dual export in precision `N`: body in ±0.5, a perturbed initial fast state, μ given.
fn dual_exported<N: Precision, S: tinycml::dual::DualModel<N>, const BB: usize, const FF: usize>(
    system: S,
    mu: Option<f64>,
    seed: u64,
) -> (DualCml<N, S, BB, FF>, DualState<N, BB, FF>, Vec<u8>) {
    let cml = DualCml::<N, S, BB, FF>::new(system, dual_config(), mu).unwrap();
    let mut rng = SplitMix64::new(seed);
    let mut value = || N::Param::from_f64(rng.uniform(-0.5, 0.5)).unwrap();
    let body = core::array::from_fn(|_| value());
    let start = DualState::<N, BB, FF>::with_initial_fast(&system, body).unwrap();
    let init = core::array::from_fn(|i| start.init()[i].add(value()));
    let theta = DualState::new(*start.body(), init).unwrap();
    let mut bytes = vec![0u8; encoded_dual_len(BB, FF)];
    assert_eq!(
        encode_dual(&cml, &theta, &mut bytes),
        Ok(encoded_dual_len(BB, FF))
    );
    (cml, theta, bytes)
}

fn dual_round_trip<N: Precision>(mu: Option<f64>) {
    let system = Dual::new(Activation::Tanh);
    let (cml, theta, bytes) = dual_exported::<N, _, B, F>(system, mu, 21);
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), store::VERSION_4);
    assert_eq!(model_kind(&bytes), Ok(ModelKind::DualSystem));
    let (back, theta_back) = decode_dual::<N, _, B, F, _>(&system, SquaredError, &bytes).unwrap();
    assert_eq!(theta_back, theta);
    assert_eq!(theta_back.fingerprint(), theta.fingerprint());
    assert_eq!(back.config(), cml.config());
    assert_eq!(back.mu(), cml.mu());
    assert_eq!(back.mu().is_some(), mu.is_some());
    // Encoding what was read gives the same bytes.
    let mut again = vec![0u8; bytes.len()];
    encode_dual(&back, &theta_back, &mut again).unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn a_dual_system_round_trips_exactly_in_f64_f32_and_fixed_point() {
    dual_round_trip::<f64>(Some(0.3));
    dual_round_trip::<f64>(None);
    dual_round_trip::<f32>(Some(0.05));
    dual_round_trip::<f32>(None);
    dual_round_trip::<Q16_16>(Some(2.0));
    dual_round_trip::<Q16_16>(None);
}

#[test]
fn a_float_dual_export_loads_into_the_device_format() {
    let system = Dual::new(Activation::Tanh);
    let (cml, theta, bytes) = dual_exported::<f64, _, B, F>(system, Some(0.125), 4);
    let (cml_q, fixed) = decode_dual::<Q16_16, _, B, F, _>(&system, SquaredError, &bytes).unwrap();
    let pairs = fixed
        .body()
        .iter()
        .zip(theta.body())
        .chain(fixed.init().iter().zip(theta.init()));
    for (q, f) in pairs {
        assert!((q.to_f64() - f).abs() <= 0.5 / (1u64 << 24) as f64);
    }
    assert_eq!(cml_q.mu().map(|m| m.to_f64()), Some(0.125));
    assert_eq!(cml_q.config(), cml.config());
}

#[test]
fn the_dual_layout_is_header_body_then_initial_fast_state() {
    let system = SmallDual::new(Activation::Tanh);
    let (_, theta, bytes) = dual_exported::<f64, _, SB, SF>(system, Some(0.5), 8);
    assert_eq!(bytes.len(), store::HEADER_LEN_4 + 8 * (SB + SF) + 4);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let f64_at = |at: usize| f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(u32_at(8) as usize, SB);
    assert_eq!(bytes[15], 1, "model kind");
    assert_eq!(bytes[66], 1, "μ given");
    assert_eq!(u32_at(68) as usize, SF);
    assert_eq!(f64_at(128), 0.5);
    let values = store::HEADER_LEN_4;
    assert_eq!(f64_at(values), theta.body()[0]);
    assert_eq!(f64_at(values + 8 * SB), theta.init()[0]);
    assert_eq!(f64_at(values + 8 * (SB + SF - 1)), theta.init()[SF - 1]);
}

#[test]
fn a_complex_synapse_is_still_written_as_version_3() {
    // Version 4 only adds fields that version 3 reserved as 0, so existing exports keep their
    // bytes (and the boards' priors their checksums).
    let (_, _, bytes) = exported();
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), store::VERSION);
    assert_eq!(bytes.len(), encoded_len(P));
    assert_eq!(bytes[15], 0);
    assert_eq!(bytes[66..72], [0; 6]);
    assert_eq!(model_kind(&bytes), Ok(ModelKind::ComplexSynapse));
}

/// Recomputes the CRC after an edit.
fn reseal(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn a_version_4_export_of_a_complex_synapse_loads() {
    let (cml, theta, v3) = exported();
    // Version 4 of kind 0: the version-3 header, version 4, header length 136, μ slot 0.
    let mut v4 = v3[..store::HEADER_LEN].to_vec();
    v4[4..6].copy_from_slice(&store::VERSION_4.to_le_bytes());
    v4[6..8].copy_from_slice(&(store::HEADER_LEN_4 as u16).to_le_bytes());
    v4.extend_from_slice(&0f64.to_le_bytes());
    v4.extend_from_slice(&v3[store::HEADER_LEN..]);
    reseal(&mut v4);
    assert_eq!(model_kind(&v4), Ok(ModelKind::ComplexSynapse));
    let (read_cml, read_theta) = decode::<f32, _, P>(cml.model(), &v4).unwrap();
    assert_eq!(read_theta, theta);
    assert_eq!(read_cml.config(), cml.config());
    // The same with a fast-state length or μ is not a complex synapse: refused.
    for (at, byte) in [(68, 1u8), (66, 1u8)] {
        let mut odd = v4.clone();
        odd[at] = byte;
        reseal(&mut odd);
        assert_eq!(
            decode::<f32, _, P>(cml.model(), &odd).unwrap_err(),
            Error::CorruptState
        );
    }
}

#[test]
fn each_decoder_refuses_the_other_models_export_by_name() {
    let system = Dual::new(Activation::Tanh);
    let (_, _, dual) = dual_exported::<f32, _, B, F>(system, None, 3);
    let (cml, _, synapse) = exported();

    let error = decode::<f32, _, P>(cml.model(), &dual).unwrap_err();
    assert_eq!(
        error,
        Error::WrongModelKind {
            stored: ModelKind::DualSystem
        }
    );
    assert!(error.to_string().contains("decode_dual"), "{error}");

    let error = decode_dual::<f32, _, B, F, _>(&system, SquaredError, &synapse).unwrap_err();
    assert_eq!(
        error,
        Error::WrongModelKind {
            stored: ModelKind::ComplexSynapse
        }
    );
    assert!(error.to_string().contains("store::decode"), "{error}");

    // A version-2 prior of the boards is a complex synapse too.
    let path = format!(
        "{}/boards/app/priors/sinusoid-1-16-16-1.tcml",
        env!("CARGO_MANIFEST_DIR")
    );
    let v2 = std::fs::read(path).unwrap();
    assert_eq!(
        decode_dual::<f32, _, B, F, _>(&system, SquaredError, &v2).unwrap_err(),
        Error::WrongModelKind {
            stored: ModelKind::ComplexSynapse
        }
    );
}

#[test]
fn a_dual_export_for_another_system_loss_or_size_is_refused() {
    let system = Dual::new(Activation::Tanh);
    let (_, _, bytes) = dual_exported::<f64, _, B, F>(system, Some(0.1), 5);
    let relu = Dual::new(Activation::Relu);
    assert_eq!(
        decode_dual::<f64, _, B, F, _>(&relu, SquaredError, &bytes).unwrap_err(),
        Error::CorruptState
    );
    assert_eq!(
        decode_dual::<f64, _, B, F, _>(&system, MaskedSquaredError, &bytes).unwrap_err(),
        Error::CorruptState
    );
    type Wider = DualSystem<1, Layer<40, Layer<41, Layer<1>>>>;
    assert_eq!(
        decode_dual::<f64, _, { Wider::BODY }, { Wider::FAST }, _>(
            &Wider::new(Activation::Tanh),
            SquaredError,
            &bytes
        )
        .unwrap_err(),
        Error::CorruptState
    );
    // One hidden layer of 40 and two outputs: the same body length, another shape.
    type Other = DualSystem<1, Layer<40, Layer<40, Layer<2>>>>;
    assert_eq!(Other::BODY, B);
    assert_eq!(
        decode_dual::<f64, _, B, { Other::FAST }, _>(
            &Other::new(Activation::Tanh),
            SquaredError,
            &bytes
        )
        .unwrap_err(),
        Error::CorruptState
    );
}

#[test]
fn dual_values_and_settings_the_reader_cannot_use_are_refused() {
    let system = SmallDual::new(Activation::Tanh);
    let cml = DualCml::<f64, _, SB, SF>::new(system, dual_config(), Some(1.0)).unwrap();
    let mut body = [0.25f64; SB];
    body[3] = 500.0; // beyond Q8.24's ±128
    let theta = DualState::with_initial_fast(&system, body).unwrap();
    let mut bytes = vec![0u8; encoded_dual_len(SB, SF)];
    encode_dual(&cml, &theta, &mut bytes).unwrap();
    assert!(decode_dual::<f64, _, SB, SF, _>(&system, SquaredError, &bytes).is_ok());
    assert_eq!(
        decode_dual::<Q16_16, _, SB, SF, _>(&system, SquaredError, &bytes).unwrap_err(),
        Error::OutOfRange
    );
    // μ ≤ 0 or NaN in an intact file: an invalid configuration, not a panic.
    for mu in [0.0, -1.0, f64::NAN] {
        let mut odd = bytes.clone();
        odd[128..136].copy_from_slice(&mu.to_le_bytes());
        reseal(&mut odd);
        assert!(matches!(
            decode_dual::<f64, _, SB, SF, _>(&system, SquaredError, &odd).unwrap_err(),
            Error::InvalidConfig(_)
        ));
    }
    // A NaN body value or initial fast value: no format holds it.
    for at in [store::HEADER_LEN_4 + 8, store::HEADER_LEN_4 + 8 * (SB + 1)] {
        let mut odd = bytes.clone();
        odd[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
        reseal(&mut odd);
        assert_eq!(
            decode_dual::<f64, _, SB, SF, _>(&system, SquaredError, &odd).unwrap_err(),
            Error::OutOfRange
        );
    }
}

#[test]
fn a_short_buffer_is_an_error_for_the_dual_system_too() {
    let system = SmallDual::new(Activation::Tanh);
    let (cml, theta, _) = dual_exported::<f32, _, SB, SF>(system, None, 1);
    let mut short = vec![0u8; encoded_dual_len(SB, SF) - 1];
    assert_eq!(
        encode_dual(&cml, &theta, &mut short),
        Err(Error::BufferTooSmall {
            needed: encoded_dual_len(SB, SF)
        })
    );
}

/// Every prefix and every single-byte change of `bytes` must be refused by `decode`, with
/// [`Error::CorruptState`] (or, for the version field, [`Error::UnsupportedVersion`]).
fn every_damage_is_refused<T: std::fmt::Debug>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, Error>,
) {
    assert!(decode(bytes).is_ok());
    for len in 0..bytes.len() {
        assert_eq!(
            decode(&bytes[..len]).unwrap_err(),
            Error::CorruptState,
            "truncation to {len} bytes"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(decode(&longer).unwrap_err(), Error::CorruptState);
    let mut damaged = bytes.to_vec();
    for position in 0..bytes.len() {
        for mask in [0x01u8, 0x10, 0x80, 0xff] {
            damaged[position] ^= mask;
            let error = decode(&damaged).unwrap_err();
            match position {
                4 | 5 => assert!(
                    matches!(
                        error,
                        Error::CorruptState | Error::UnsupportedVersion { .. }
                    ),
                    "byte {position} ^ {mask:#x}: {error:?}"
                ),
                _ => assert_eq!(error, Error::CorruptState, "byte {position} ^ {mask:#x}"),
            }
            damaged[position] ^= mask;
        }
    }
}

#[test]
fn every_truncation_and_every_byte_change_of_a_dual_export_is_refused() {
    let system = SmallDual::new(Activation::Tanh);
    for mu in [Some(0.5), None] {
        let (_, _, bytes) = dual_exported::<f64, _, SB, SF>(system, mu, 2);
        every_damage_is_refused(&bytes, |b| {
            decode_dual::<Q16_16, _, SB, SF, _>(&system, SquaredError, b)
        });
        every_damage_is_refused(&bytes, model_kind);
    }
}

#[test]
fn every_truncation_and_every_byte_change_of_a_synapse_export_is_refused() {
    type Small = Mlp<1, 6, 5>;
    let model = Small::new(Activation::Tanh);
    let cml = Cml::<f64, _, { Small::PARAMS }>::new(model, Config::default()).unwrap();
    let mut rng = SplitMix64::new(6);
    let omega = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let lambda = core::array::from_fn(|_| rng.uniform(0.1, 2.0));
    let theta = ComplexSynapse::<f64, { Small::PARAMS }>::new(omega, lambda).unwrap();
    let mut bytes = vec![0u8; encoded_len(Small::PARAMS)];
    encode(&cml, &theta, &mut bytes).unwrap();
    every_damage_is_refused(&bytes, |b| {
        decode::<Q16_16, _, { Small::PARAMS }>(&model, b)
    });
}

#[test]
fn a_non_zero_reserved_byte_is_refused_even_with_a_matching_checksum() {
    let (cml, _, v3) = exported();
    // The sinusoid MLP has 3 layers: slots 3…7 of the layer table (offset 96 + 4·slot) are
    // unused, and byte 3 of every slot is reserved.
    let reserved_v3 = [
        15,
        66,
        67,
        68,
        71,
        96 + 3,
        96 + 4 * 2 + 3,
        96 + 4 * 3,
        96 + 4 * 7 + 3,
    ];
    for at in reserved_v3 {
        let mut forged = v3.clone();
        forged[at] = 1;
        reseal(&mut forged);
        assert_eq!(
            decode::<f32, _, P>(cml.model(), &forged).unwrap_err(),
            Error::CorruptState,
            "byte {at}"
        );
    }
    let system = Dual::new(Activation::Tanh);
    for mu in [Some(0.5), None] {
        let (_, _, v4) = dual_exported::<f32, _, B, F>(system, mu, 4);
        let mut reserved_v4 = vec![67, 96 + 3, 96 + 4 * 3];
        if mu.is_none() {
            reserved_v4.push(128); // μ's slot, 0 when no μ is given
        }
        for at in reserved_v4 {
            let mut forged = v4.clone();
            forged[at] = 1;
            reseal(&mut forged);
            assert_eq!(
                decode_dual::<f32, _, B, F, _>(&system, SquaredError, &forged).unwrap_err(),
                Error::CorruptState,
                "byte {at} with μ {mu:?}"
            );
        }
    }
}

#[test]
fn a_stored_step_count_beyond_the_maximum_is_refused() {
    let (cml, _, bytes) = exported();
    for (at, steps) in [(16, u32::MAX), (20, tinycml::cml::MAX_STEPS + 1)] {
        let mut forged = bytes.clone();
        forged[at..at + 4].copy_from_slice(&steps.to_le_bytes());
        reseal(&mut forged);
        assert_eq!(
            decode::<f32, _, P>(cml.model(), &forged).unwrap_err(),
            Error::TooManySteps { requested: steps }
        );
    }
}
