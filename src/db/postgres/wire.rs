//! Values on the wire: what a server's column types read as on the seam
//! (its NUMERIC sums as integers, as SQLite gives them), and what a
//! parameter sends for the type the server expects.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::db::Value;
use crate::error::DbError;

/// A column's value, as the seam reads it.
pub(crate) fn value(row: &postgres::Row, index: usize) -> Result<Value<'_>, DbError> {
    row.try_get::<_, Value>(index).map_err(|e| DbError::Column {
        index,
        message: match e.source() {
            Some(s) => s.to_string(),
            None => e.to_string(),
        },
    })
}

impl<'a> FromSql<'a> for Value<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(<&str>::from_sql(&Type::TEXT, raw)?)
            }
            _ => {
                return Err(
                    format!("a value of type {ty} (cast it to text, e.g. column::text)").into(),
                );
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's `sum` of integers is NUMERIC: read whole numbers as
/// integers (as SQLite gives them), anything else as a real.
fn numeric(raw: &[u8]) -> Result<Value<'static>, Box<dyn StdError + Sync + Send>> {
    let word = |i: usize| -> Result<i16, Box<dyn StdError + Sync + Send>> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated NUMERIC".into())
    };
    let ndigits = word(0)? as usize;
    let weight = i32::from(word(2)?);
    let sign = word(4)? as u16;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut whole: i128 = 0;
    let mut real = 0f64;
    let mut integral = true;
    for i in 0..ndigits {
        let digit = i128::from(word(8 + 2 * i)?);
        let power = weight - i as i32;
        real += digit as f64 * 10_000f64.powi(power);
        if power >= 0 {
            let scale = 10_000i128
                .checked_pow(power as u32)
                .ok_or("a NUMERIC too large")?;
            whole = digit
                .checked_mul(scale)
                .and_then(|d| whole.checked_add(d))
                .ok_or("a NUMERIC too large")?;
        } else if digit != 0 {
            integral = false;
        }
    }
    let negative = sign == 0x4000;
    if integral && let Ok(i) = i64::try_from(if negative { -whole } else { whole }) {
        return Ok(Value::Int(i));
    }
    Ok(Value::Real(if negative { -real } else { real }))
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                _ => i.to_string().as_str().to_sql(&Type::TEXT, out),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT4 => (r as f32).to_sql(ty, out),
                Type::FLOAT8 => r.to_sql(ty, out),
                _ => r.to_string().as_str().to_sql(&Type::TEXT, out),
            },
            Value::Text(t) => match *ty {
                Type::INT8 | Type::INT4 | Type::INT2 => {
                    Err(format!("the text {t:?} where a number belongs").into())
                }
                _ => t.to_sql(&Type::TEXT, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NUMERIC's binary form: digit count, weight, sign, scale, base-10000
    /// digits.
    fn raw(weight: i16, sign: u16, scale: u16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [digits.len() as i16, weight, sign as i16, scale as i16] {
            out.extend(word.to_be_bytes());
        }
        for d in digits {
            out.extend(d.to_be_bytes());
        }
        out
    }

    #[test]
    fn sums_read_as_integers_and_fractions_as_reals() {
        assert_eq!(
            numeric(&raw(1, 0, 0, &[1234, 5678])).unwrap(),
            Value::Int(12_345_678)
        );
        assert_eq!(
            numeric(&raw(1, 0x4000, 0, &[12, 0])).unwrap(),
            Value::Int(-120_000)
        );
        assert_eq!(numeric(&raw(0, 0, 0, &[])).unwrap(), Value::Int(0));
        assert_eq!(
            numeric(&raw(2, 0, 0, &[1])).unwrap(),
            Value::Int(100_000_000)
        );
        assert_eq!(
            numeric(&raw(0, 0, 1, &[1, 5000])).unwrap(),
            Value::Real(1.5)
        );
        assert_eq!(
            numeric(&raw(-1, 0x4000, 2, &[2500])).unwrap(),
            Value::Real(-0.25)
        );
        assert!(numeric(&[0, 1]).is_err(), "a truncated value is an error");
    }
}
