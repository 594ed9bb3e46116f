//! Reading a nullable column that holds a wire enum's text. A value this version does not know
//! (written by a newer instance during a rolling upgrade) reads as unknown instead of failing
//! the whole query.

use sqlx::any::AnyRow;
use sqlx::Row;

pub(super) fn optional_enum<T: TryFrom<String>>(
    row: &AnyRow,
    column: &str,
) -> sqlx::Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    Ok(text.and_then(|text| T::try_from(text).ok()))
}
