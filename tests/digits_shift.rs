//! One-pixel shifts of the digits' 8×8 images (`tinycml::digits::shift`): every shifted pixel
//! against a direct index computation, the four shifts in their documented order, and a
//! shifted task's support, query and capacity check.

use tinycml::digits::shift::{shifted, with_shifted_support, write_shifts, ONE_PIXEL, VARIANTS};
use tinycml::digits::{PIXELS, SIDE};
use tinycml::{Class, Error, Precision, Shot, Task, Q16_16};

/// An image whose every pixel is distinct: pixel `i` holds `i + 1`.
fn numbered() -> [u16; PIXELS] {
    core::array::from_fn(|i| i as u16 + 1)
}

#[test]
fn every_shifted_pixel_comes_from_its_source_or_is_fill() {
    let image = numbered();
    let fill = 0;
    for down in -9i8..=9 {
        for right in -9i8..=9 {
            let out = shifted(&image, down, right, fill);
            for (i, &value) in out.iter().enumerate() {
                let (row, col) = ((i / SIDE) as i64, (i % SIDE) as i64);
                let (from_row, from_col) = (row - down as i64, col - right as i64);
                let side = SIDE as i64;
                let expected = if (0..side).contains(&from_row) && (0..side).contains(&from_col) {
                    image[(from_row * side + from_col) as usize]
                } else {
                    fill
                };
                assert_eq!(value, expected, "shift ({down}, {right}), pixel {i}");
            }
        }
    }
}

#[test]
fn one_pixel_shifts_move_a_dot_up_down_left_right() {
    let mut image = [0u8; PIXELS];
    image[SIDE * 3 + 4] = 9; // row 3, column 4
    let mut out = [[0u8; PIXELS]; 4];
    write_shifts(&image, 0, &mut out);
    let lit: Vec<usize> = out
        .iter()
        .map(|shifted| shifted.iter().position(|&p| p == 9).unwrap())
        .collect();
    assert_eq!(
        lit,
        [SIDE * 2 + 4, SIDE * 4 + 4, SIDE * 3 + 3, SIDE * 3 + 5]
    );
    assert!(out
        .iter()
        .all(|s| s.iter().filter(|&&p| p != 0).count() == 1));
    // A dot on the border leaves the image when shifted outwards, and `fill` comes in.
    let corner = shifted(&numbered(), -1, -1, 0);
    assert_eq!(corner[0], numbered()[SIDE + 1]);
    assert_eq!(corner[PIXELS - 1], 0);
    assert_eq!(ONE_PIXEL.len() + 1, VARIANTS);
}

#[test]
fn a_shifted_task_keeps_labels_order_and_query() {
    type A = <Q16_16 as Precision>::Act;
    let image = |k: u16| -> [f64; PIXELS] {
        core::array::from_fn(|i| ((i + k as usize) % 17) as f64 / 16.0)
    };
    let mut task = Task::<A, PIXELS, 3, 2, Class>::new();
    for k in 0..3 {
        task.push_support(Shot::new(&image(k), Class(k)).unwrap())
            .unwrap();
    }
    for k in 0..2 {
        task.push_query(Shot::new(&image(10 + k), Class(k)).unwrap())
            .unwrap();
    }
    let out: Task<A, PIXELS, 15, 2, Class> = with_shifted_support(&task, A::ZERO).unwrap();
    assert_eq!(out.support().len(), 15);
    assert_eq!(out.query(), task.query());
    for (k, shot) in task.support().iter().enumerate() {
        let group = &out.support()[VARIANTS * k..VARIANTS * (k + 1)];
        assert_eq!(group[0], *shot);
        for (copy, &(down, right)) in group[1..].iter().zip(&ONE_PIXEL) {
            assert_eq!(copy.y, Class(k as u16));
            assert_eq!(copy.x, shifted(&shot.x, down, right, A::ZERO));
            assert_ne!(copy.x, shot.x);
        }
    }
    // Fourteen places cannot hold three images and their twelve shifts.
    let small: Result<Task<A, PIXELS, 14, 2, Class>, Error> = with_shifted_support(&task, A::ZERO);
    assert_eq!(small.err(), Some(Error::TooManyShots { capacity: 14 }));
}
