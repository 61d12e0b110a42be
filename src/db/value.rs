//! Values crossing the seam: what a parameter binds and what a column
//! yields, the same on both backends, so that the code above the seam
//! never names a driver's types.

use chrono::NaiveDate;

use crate::model::{Category, DepotCode, IsoDate, Nation, Nsn, Status, TypeCode};

/// One SQL value. The database stores integers, text and (only in user
/// queries) reals; dates are ISO text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
}

/// A value that binds to a statement parameter.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

/// A value a column converts into; the error says what was found instead.
pub trait Cell: Sized {
    fn from_value(value: Value<'_>) -> Result<Self, String>;
}

impl Param for Value<'_> {
    fn value(&self) -> Value<'_> {
        *self
    }
}

/// An owned value, for parameter lists built at run time (filters).
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    Null,
    Int(i64),
    Text(String),
}

impl Param for Owned {
    fn value(&self) -> Value<'_> {
        match self {
            Owned::Null => Value::Null,
            Owned::Int(i) => Value::Int(*i),
            Owned::Text(t) => Value::Text(t),
        }
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        match self {
            Some(v) => v.value(),
            None => Value::Null,
        }
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u64, usize, u8);

impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

macro_rules! text_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Text(self.as_str())
            }
        }
    )*};
}
text_param!(DepotCode, TypeCode, Nsn, Nation, Status, Category, IsoDate);

fn found(value: Value<'_>) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Int(i) => format!("the integer {i}"),
        Value::Real(r) => format!("the number {r}"),
        Value::Text(t) => format!("the text {t:?}"),
    }
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            // Read for every column of every row: kept out of line, the
            // call costs more than the match.
            #[inline]
            fn from_value(value: Value<'_>) -> Result<Self, String> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} is out of range")),
                    v => Err(format!("expected an integer, found {}", found(v))),
                }
            }
        }
    )*};
}
int_cell!(i64, i32, u32, u64, usize);

impl Cell for f64 {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Int(i) => Ok(i as f64),
            Value::Real(r) => Ok(r),
            v => Err(format!("expected a number, found {}", found(v))),
        }
    }
}

impl Cell for bool {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Int(i) => Ok(i != 0),
            v => Err(format!("expected a truth value, found {}", found(v))),
        }
    }
}

impl Cell for String {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Text(t) => Ok(t.to_string()),
            v => Err(format!("expected text, found {}", found(v))),
        }
    }
}

impl<T: Cell> Cell for Option<T> {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Dates are stored as ISO text.
impl Cell for NaiveDate {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Text(t) => crate::model::parse_iso(t)
                .ok_or_else(|| format!("{t:?} is not a stored date (YYYY-MM-DD)")),
            v => Err(format!("expected a date, found {}", found(v))),
        }
    }
}

impl Cell for Status {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Text(t) => Status::parse(t),
            v => Err(format!("expected a status, found {}", found(v))),
        }
    }
}

impl Cell for crate::model::ConditionCode {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Text(t) => crate::model::ConditionCode::parse(t),
            v => Err(format!("expected a condition code, found {}", found(v))),
        }
    }
}

impl Cell for Category {
    fn from_value(value: Value<'_>) -> Result<Self, String> {
        match value {
            Value::Text(t) => Category::parse(t),
            v => Err(format!("expected a category, found {}", found(v))),
        }
    }
}
