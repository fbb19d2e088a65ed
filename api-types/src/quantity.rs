//! `Quantity`: exact resource amounts with Kubernetes' parsing, arithmetic and canonical formatting.
//!
//! A quantity is stored as an `i128` mantissa and a power-of-ten scale,
//! normalised (no trailing zeros), so equality and ordering are numeric:
//! `1Gi == 1073741824` and `1000m == 1`. Parsing rounds up to nano
//! precision (`10^-9`) exactly as apimachinery's `ParseQuantity`, and
//! [`Display`](std::fmt::Display) prints what apimachinery's `Quantity.String()` prints.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The regular expression apimachinery names in its format error.
pub const QUANTITY_REGEX: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// Errors from parsing quantities.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The input does not have the shape of a quantity.
    #[error("quantity {input:?}: quantities must match the regular expression '{QUANTITY_REGEX}'")]
    FormatWrong {
        /// The input.
        input: String,
    },
    /// The suffix is not one of the known suffixes or a valid exponent.
    #[error("quantity {input:?}: unable to parse quantity's suffix {suffix:?}")]
    Suffix {
        /// The input.
        input: String,
        /// The unrecognised suffix.
        suffix: String,
    },
    /// The number has more significant digits or a larger exponent than Capstan represents (38 digits, i32 exponent).
    #[error(
        "quantity {input:?}: value out of the representable range (at most 38 significant digits)"
    )]
    OutOfRange {
        /// The input.
        input: String,
    },
}

/// How a quantity prints: the format is taken from the parsed suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `e3`, `E-6`… (`12e6`).
    DecimalExponent,
    /// `Ki`, `Mi`… (`12Mi`).
    BinarySI,
    /// `m`, `k`, `M`… or no suffix (`12M`).
    #[default]
    DecimalSI,
}

/// An exact resource amount.
#[derive(Clone, Default)]
pub struct Quantity {
    mantissa: i128,
    scale: i32,
    format: Format,
    /// The original input when apimachinery would keep it verbatim and it differs from the canonical form.
    verbatim: Option<Box<str>>,
}

const MAX_DIGITS: usize = 38;
const NANO: i64 = -9;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Divides `m` by `10^k`, rounding away from zero.
fn div_pow10_round_up(m: i128, k: u32) -> i128 {
    if m == 0 {
        return 0;
    }
    match pow10(k) {
        Some(p) => {
            let q = m / p;
            if m % p != 0 { q + m.signum() } else { q }
        }
        None => m.signum(),
    }
}

impl Quantity {
    fn normalized(mut mantissa: i128, scale: i64, format: Format) -> Option<Self> {
        let mut scale = scale;
        if mantissa == 0 {
            scale = 0;
        } else {
            while mantissa % 10 == 0 {
                mantissa /= 10;
                scale += 1;
            }
        }
        let scale = i32::try_from(scale).ok()?;
        Some(Quantity { mantissa, scale, format, verbatim: None })
    }

    /// Zero (prints `0`).
    pub fn zero() -> Self {
        Quantity::default()
    }

    /// `value` units in `format` (apimachinery's `NewQuantity`).
    pub fn from_i64(value: i64, format: Format) -> Self {
        Self::from_scaled(value, 0, format)
    }

    /// `millis / 1000` units in `format` (apimachinery's `NewMilliQuantity`).
    pub fn from_millis(millis: i64, format: Format) -> Self {
        Self::from_scaled(millis, -3, format)
    }

    /// `value * 10^scale` in `format` (apimachinery's `NewScaledQuantity`).
    pub fn from_scaled(value: i64, scale: i32, format: Format) -> Self {
        Self::normalized(value as i128, scale as i64, format).unwrap_or_default()
    }

    /// Parses any Kubernetes quantity string (`100m`, `1.5Gi`, `1e3`, `-12E-3`, `.5`…).
    pub fn parse(input: &str) -> Result<Self, QuantityError> {
        parse(input)
    }

    /// The format used for printing.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Sets the format used for printing.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self.verbatim = None;
        self
    }

    /// `true` when the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        self.mantissa.signum() as i32
    }

    /// The value in units of `10^scale`, rounded away from zero (apimachinery's `ScaledValue`), saturating.
    pub fn as_scaled(&self, scale: i32) -> i128 {
        let diff = self.scale as i64 - scale as i64;
        if diff >= 0 {
            match u32::try_from(diff).ok().and_then(pow10) {
                Some(p) => self.mantissa.saturating_mul(p),
                None if self.mantissa == 0 => 0,
                None => {
                    if self.mantissa > 0 {
                        i128::MAX
                    } else {
                        i128::MIN
                    }
                }
            }
        } else {
            div_pow10_round_up(self.mantissa, u32::try_from(-diff).unwrap_or(u32::MAX))
        }
    }

    /// The value in thousandths, rounded up (apimachinery's `MilliValue`; CPU millicores), saturating at `i64` bounds.
    pub fn as_millis(&self) -> i64 {
        saturate(self.as_scaled(-3))
    }

    /// The value in units, rounded up (apimachinery's `Value`; bytes), saturating at `i64` bounds.
    pub fn as_i64_value(&self) -> i64 {
        saturate(self.as_scaled(0))
    }

    /// An approximate `f64`.
    pub fn as_f64(&self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.scale)
    }

    /// Multiplies by an integer; `None` on overflow.
    pub fn checked_mul_i64(&self, by: i64) -> Option<Self> {
        let m = self.mantissa.checked_mul(by as i128)?;
        let mut q = Self::normalized(m, self.scale as i64, self.format)?;
        q.verbatim = None;
        Some(q)
    }

    fn combine(&self, other: &Quantity, negate_other: bool) -> Quantity {
        let format = if self.is_zero() { other.format } else { self.format };
        let b = if negate_other { -other.mantissa } else { other.mantissa };
        let lo = self.scale.min(other.scale) as i64;
        let hi = self.scale.max(other.scale) as i64;
        // Exact when it fits; otherwise give up precision of the finer operand step by step.
        let mut target = lo;
        loop {
            let x = rescale(self.mantissa, self.scale as i64, target);
            let y = rescale(b, other.scale as i64, target);
            if let (Some(x), Some(y)) = (x, y) {
                if let Some(sum) = x.checked_add(y) {
                    if let Some(q) = Self::normalized(sum, target, format) {
                        return q;
                    }
                }
            }
            if target > hi + 40 {
                // Unreachable for 38-digit mantissas; keep the larger operand.
                return if self.mantissa.unsigned_abs() >= other.mantissa.unsigned_abs() {
                    self.clone()
                } else {
                    other.clone()
                };
            }
            target += 1;
        }
    }

    /// The canonical string, as apimachinery's `Quantity.String()` prints it.
    pub fn to_canonical_string(&self) -> String {
        if let Some(v) = &self.verbatim {
            return v.to_string();
        }
        self.canonical()
    }

    fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            let small =
                self.cmp_i64(-1024) == Ordering::Greater && self.cmp_i64(1024) == Ordering::Less;
            if small || self.scale < 0 {
                format = Format::DecimalSI;
            } else if let Some(v) = u32::try_from(self.scale)
                .ok()
                .and_then(pow10)
                .and_then(|p| self.mantissa.checked_mul(p))
            {
                let mut v = v;
                let mut exp = 0;
                while v % 1024 == 0 && exp < 6 {
                    v /= 1024;
                    exp += 1;
                }
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][exp];
                return format!("{v}{suffix}");
            } else {
                format = Format::DecimalSI;
            }
        }
        let mut digits = self.mantissa.unsigned_abs().to_string();
        let mut exp = self.scale as i64;
        let adjust = exp.rem_euclid(3);
        for _ in 0..adjust {
            digits.push('0');
        }
        exp -= adjust;
        let sign = if self.mantissa < 0 { "-" } else { "" };
        match format {
            Format::DecimalExponent => {
                if exp == 0 {
                    format!("{sign}{digits}")
                } else {
                    format!("{sign}{digits}e{exp}")
                }
            }
            _ => {
                if exp > 18 {
                    // apimachinery has no suffix beyond E; keep the value exact with extra zeros.
                    for _ in 0..(exp - 18) {
                        digits.push('0');
                    }
                    exp = 18;
                }
                let suffix = match exp {
                    -9 => "n",
                    -6 => "u",
                    -3 => "m",
                    0 => "",
                    3 => "k",
                    6 => "M",
                    9 => "G",
                    12 => "T",
                    15 => "P",
                    18 => "E",
                    _ => return format!("{sign}{digits}e{exp}"),
                };
                format!("{sign}{digits}{suffix}")
            }
        }
    }

    fn cmp_i64(&self, v: i64) -> Ordering {
        self.cmp(&Quantity::from_i64(v, Format::DecimalSI))
    }
}

fn saturate(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn rescale(m: i128, from: i64, to: i64) -> Option<i128> {
    if to <= from {
        m.checked_mul(pow10(u32::try_from(from - to).ok()?)?)
    } else {
        Some(div_pow10_round_up(m, u32::try_from(to - from).unwrap_or(u32::MAX)))
    }
}

struct Split<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

/// apimachinery's `parseQuantityString`.
fn split(s: &str) -> Option<Split<'_>> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    if pos < end {
        match b[0] {
            b'-' => {
                positive = false;
                pos += 1;
            }
            b'+' => pos += 1,
            _ => {}
        }
    }
    let zero = Split { positive, num: "0", denom: "", suffix: "" };
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Some(zero);
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = if pos == start { "0" } else { &s[start..pos] };
    if pos >= end {
        return Some(Split { positive, num, denom: "", suffix: "" });
    }
    let mut denom = "";
    if b[pos] == b'.' {
        pos += 1;
        let dstart = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[dstart..pos];
        if pos >= end {
            return Some(Split { positive, num, denom, suffix: "" });
        }
    }
    let sstart = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return None;
    }
    Some(Split { positive, num, denom, suffix: &s[sstart..] })
}

/// apimachinery's suffix interpretation: (base, exponent, format).
fn interpret(suffix: &str) -> Option<(u32, i64, Format)> {
    let dec = |e| Some((10, e, Format::DecimalSI));
    let bin = |e| Some((2, e, Format::BinarySI));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            let e: i64 = s[1..].parse().ok()?;
            // Go truncates to int32; we reject what does not fit.
            i32::try_from(e).ok()?;
            Some((10, e, Format::DecimalExponent))
        }
        _ => None,
    }
}

fn parse(input: &str) -> Result<Quantity, QuantityError> {
    let wrong = || QuantityError::FormatWrong { input: input.to_string() };
    let range = || QuantityError::OutOfRange { input: input.to_string() };
    if input.is_empty() {
        return Err(wrong());
    }
    if input == "0" {
        return Ok(Quantity::zero());
    }
    let sp = split(input).ok_or_else(wrong)?;
    let (base, exponent, mut format) = interpret(sp.suffix).ok_or_else(|| {
        QuantityError::Suffix { input: input.to_string(), suffix: sp.suffix.to_string() }
    })?;

    // Significant digits of num+denom and their power-of-ten scale.
    let mut digits: String = format!("{}{}", sp.num, sp.denom);
    let mut scale: i64 = -(sp.denom.len() as i64);
    if base == 10 {
        scale += exponent;
    }
    let trimmed = digits.trim_start_matches('0').len();
    digits = digits[digits.len() - trimmed..].to_string();
    while digits.ends_with('0') {
        digits.pop();
        scale += 1;
    }
    let mut mantissa: i128;
    if digits.is_empty() {
        mantissa = 0;
        scale = 0;
    } else if base == 10 {
        if scale < NANO {
            // Round up (away from zero) to nano precision.
            let drop = (NANO - scale) as usize;
            if drop >= digits.len() {
                digits = "1".to_string();
            } else {
                let cut = digits.len() - drop;
                let round = digits[cut..].bytes().any(|c| c != b'0');
                digits.truncate(cut);
                if round {
                    digits = increment(&digits);
                }
            }
            scale = NANO;
        }
        if digits.len() > MAX_DIGITS {
            return Err(range());
        }
        mantissa = digits.parse::<i128>().map_err(|_| range())?;
    } else {
        if digits.len() > MAX_DIGITS {
            return Err(range());
        }
        let d = digits.parse::<i128>().map_err(|_| range())?;
        mantissa = d.checked_mul(1i128 << exponent).ok_or_else(range)?;
        if scale < NANO {
            mantissa = div_pow10_round_up(mantissa, (NANO - scale) as u32);
            scale = NANO;
        }
    }
    if format == Format::BinarySI {
        // Cap at the int64 maximum, and show values in (0, 1) as DecimalSI.
        let q = Quantity::normalized(mantissa, scale, format).ok_or_else(range)?;
        let max = Quantity::from_i64(i64::MAX, format);
        if q > max {
            mantissa = i64::MAX as i128;
            scale = 0;
        } else if q.mantissa > 0 && q < Quantity::from_i64(1, format) {
            format = Format::DecimalSI;
        }
    }
    if !sp.positive {
        mantissa = -mantissa;
    }
    let mut q = Quantity::normalized(mantissa, scale, format).ok_or_else(range)?;

    // apimachinery keeps the input string verbatim on its fast path when it is "canonical enough".
    let shifted_len = sp.num.len() + sp.denom.len();
    let fast_scale = if base == 10 { exponent - sp.denom.len() as i64 } else { 0 };
    let precision_ok = if base == 10 {
        18 - shifted_len as i64 >= 0
    } else {
        sp.denom.is_empty() && 15 - sp.num.len() as i64 - (exponent as f32 * 3.0 / 10.0) as i64 > 0
    };
    if precision_ok && fast_scale >= NANO {
        let shifted = format!("{}{}", sp.num, sp.denom);
        let value: i64 = shifted.parse().unwrap_or(0);
        let keep = if base == 2 {
            value & 0x07 != 0
        } else {
            fast_scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
        };
        if keep && q.canonical() != input {
            q.verbatim = Some(input.into());
        }
    }
    Ok(q)
}

fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    let mut i = bytes.len();
    loop {
        if i == 0 {
            bytes.insert(0, b'1');
            break;
        }
        i -= 1;
        if bytes[i] == b'9' {
            bytes[i] = b'0';
        } else {
            bytes[i] += 1;
            break;
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_canonical_string())
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quantity({})", self)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.mantissa == other.mantissa && self.scale == other.scale
    }
}

impl Eq for Quantity {}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.mantissa.hash(state);
        self.scale.hash(state);
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.mantissa, other.mantissa);
        match a.signum().cmp(&b.signum()) {
            Ordering::Equal if a == 0 => return Ordering::Equal,
            Ordering::Equal => {}
            o => return o,
        }
        let mag = cmp_magnitude(a.unsigned_abs(), self.scale, b.unsigned_abs(), other.scale);
        if a > 0 { mag } else { mag.reverse() }
    }
}

fn digit_count(v: u128) -> i64 {
    v.checked_ilog10().map(|d| d as i64 + 1).unwrap_or(0)
}

fn cmp_magnitude(a: u128, sa: i32, b: u128, sb: i32) -> Ordering {
    let ma = digit_count(a) + sa as i64;
    let mb = digit_count(b) + sb as i64;
    if ma != mb {
        return ma.cmp(&mb);
    }
    // Same order of magnitude: align to the smaller scale (difference ≤ 38 digits).
    let lo = sa.min(sb);
    let up = |v: u128, s: i32| 10u128.checked_pow((s - lo) as u32).and_then(|p| v.checked_mul(p));
    match (up(a, sa), up(b, sb)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

impl Add for Quantity {
    type Output = Quantity;
    fn add(self, rhs: Quantity) -> Quantity {
        self.combine(&rhs, false)
    }
}

impl Add<&Quantity> for &Quantity {
    type Output = Quantity;
    fn add(self, rhs: &Quantity) -> Quantity {
        self.combine(rhs, false)
    }
}

impl Sub for Quantity {
    type Output = Quantity;
    fn sub(self, rhs: Quantity) -> Quantity {
        self.combine(&rhs, true)
    }
}

impl Sub<&Quantity> for &Quantity {
    type Output = Quantity;
    fn sub(self, rhs: &Quantity) -> Quantity {
        self.combine(rhs, true)
    }
}

impl AddAssign<&Quantity> for Quantity {
    fn add_assign(&mut self, rhs: &Quantity) {
        *self = self.combine(rhs, false);
    }
}

impl SubAssign<&Quantity> for Quantity {
    fn sub_assign(&mut self, rhs: &Quantity) {
        *self = self.combine(rhs, true);
    }
}

impl Neg for Quantity {
    type Output = Quantity;
    fn neg(self) -> Quantity {
        Quantity {
            mantissa: -self.mantissa,
            scale: self.scale,
            format: self.format,
            verbatim: None,
        }
    }
}

impl std::iter::Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::zero(), |a, b| a + b)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_canonical_string())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity string or number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::from_i64(v, Format::DecimalSI))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `k8s-openapi` string newtype, re-exported under a distinct name.
pub use k8s_openapi::apimachinery::pkg::api::resource::Quantity as OpenApiQuantity;

impl From<&Quantity> for OpenApiQuantity {
    fn from(q: &Quantity) -> Self {
        OpenApiQuantity(q.to_canonical_string())
    }
}

impl From<Quantity> for OpenApiQuantity {
    fn from(q: Quantity) -> Self {
        OpenApiQuantity(q.to_canonical_string())
    }
}

impl TryFrom<&OpenApiQuantity> for Quantity {
    type Error = QuantityError;
    fn try_from(q: &OpenApiQuantity) -> Result<Self, Self::Error> {
        parse(&q.0)
    }
}

impl TryFrom<OpenApiQuantity> for Quantity {
    type Error = QuantityError;
    fn try_from(q: OpenApiQuantity) -> Result<Self, Self::Error> {
        parse(&q.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn canonical_strings() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("0Ki", "0"),
            ("1", "1"),
            ("1.5Gi", "1536Mi"),
            ("0.1", "100m"),
            (".5", "500m"),
            ("1000m", "1"),
            ("1500m", "1500m"),
            ("1e3", "1e3"),
            ("1E3", "1E3"),
            ("12E-3", "12E-3"),
            ("12e-3", "12e-3"),
            ("1024Ki", "1Mi"),
            ("1Ki", "1Ki"),
            ("8Ki", "8Ki"),
            ("1536Ki", "1536Ki"),
            ("100M", "100M"),
            ("1000k", "1M"),
            ("1000000", "1M"),
            ("1.0", "1"),
            ("+1", "+1"),
            ("01", "01"),
            ("0.0001Ki", "102400u"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("1.5n", "2n"),
            ("-1.5n", "-2n"),
            ("1u", "1u"),
            ("100m", "100m"),
            ("-100m", "-100m"),
            ("2000Mi", "2000Mi"),
            ("2048Mi", "2Gi"),
            ("500Mi", "500Mi"),
            ("1023", "1023"),
            ("1.1Ki", "1126400m"),
            ("8Ei", "9223372036854775807"),
            ("1e0", "1e0"),
            ("10e3", "10e3"),
            ("100e3", "100e3"),
            ("1000e3", "1e6"),
            ("0.5e3", "500"),
            ("1.", "1."),
            ("1.G", "1.G"),
            ("1.0G", "1G"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("1E", "1E"),
            ("1000E", "1000E"),
        ];
        for (input, want) in cases {
            assert_eq!(q(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn parse_errors() {
        for bad in
            ["", "abc", "1.2.3", "1Ki1", "1ki", "1 Gi", "1e", "1Kii", "1e999999999999", "--1", "1x"]
        {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should fail");
        }
        assert!(matches!(Quantity::parse("1ki"), Err(QuantityError::Suffix { .. })));
        assert!(matches!(Quantity::parse("1.2.3"), Err(QuantityError::FormatWrong { .. })));
        let long = "9".repeat(40);
        assert!(matches!(Quantity::parse(&long), Err(QuantityError::OutOfRange { .. })));
    }

    #[test]
    fn numeric_equality_and_order() {
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("1k"), q("1e3"));
        assert!(q("1Mi") > q("1M"));
        assert!(q("-1") < q("1m"));
        assert!(q("-2") < q("-1"));
        assert!(q("999m") < q("1"));
        assert!(q("1e30") > q("1E"));
        let mut v = [q("1Gi"), q("100m"), q("-5"), q("1")];
        v.sort();
        assert_eq!(v.iter().map(|x| x.to_string()).collect::<Vec<_>>(), ["-5", "100m", "1", "1Gi"]);
    }

    #[test]
    fn arithmetic() {
        let cases = [
            ("1", "500m", "1500m", "500m"),
            ("1Gi", "1Gi", "2Gi", "0"),
            ("1Gi", "512Mi", "1536Mi", "512Mi"),
            ("0", "1Ki", "1Ki", "-1Ki"),
            ("100m", "200m", "300m", "-100m"),
            ("1e20", "1n", "100000000000000000000000000001e-9", "99999999999999999999999999999e-9"),
        ];
        for (a, b, sum, diff) in cases {
            assert_eq!((q(a) + q(b)).to_string(), sum, "{a}+{b}");
            assert_eq!((q(a) - q(b)).to_string(), diff, "{a}-{b}");
        }
        assert_eq!((-q("1Ki")).to_string(), "-1Ki");
        // Beyond 38 significant digits the finer operand is rounded up instead of overflowing.
        assert!(q("1e30") + q("1n") > q("1e30"));
        let total: Quantity = ["100m", "250m", "1"].iter().map(|s| q(s)).sum();
        assert_eq!(total.to_string(), "1350m");
        assert_eq!(q("3").checked_mul_i64(3).unwrap(), q("9"));
    }

    #[test]
    fn scaled_values() {
        let cases = [
            ("100m", 100, 1),
            ("1", 1000, 1),
            ("1.5", 1500, 2),
            ("1n", 1, 1),
            ("1Gi", 1073741824000, 1073741824),
            ("-1.5", -1500, -2),
            ("0", 0, 0),
        ];
        for (input, millis, value) in cases {
            assert_eq!(q(input).as_millis(), millis, "{input} millis");
            assert_eq!(q(input).as_i64_value(), value, "{input} value");
        }
        assert_eq!(Quantity::from_millis(1500, Format::DecimalSI).to_string(), "1500m");
        assert_eq!(Quantity::from_i64(1 << 20, Format::BinarySI).to_string(), "1Mi");
        assert_eq!(q("1e30").as_i64_value(), i64::MAX);
    }

    #[test]
    fn serde_and_openapi() {
        let v: Quantity = serde_json::from_str("\"1.5Gi\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"1536Mi\"");
        let n: Quantity = serde_json::from_str("2").unwrap();
        assert_eq!(n.to_string(), "2");
        let f: Quantity = serde_json::from_str("0.5").unwrap();
        assert_eq!(f.to_string(), "500m");
        let o = OpenApiQuantity("250m".into());
        let back: OpenApiQuantity = Quantity::try_from(&o).unwrap().into();
        assert_eq!(back, o);
        assert!(Quantity::try_from(OpenApiQuantity("x".into())).is_err());
    }
}
