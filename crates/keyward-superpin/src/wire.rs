//! Byte reader for the persistent records: every read is bounds-checked and
//! turns a short record into [`Error::Truncated`].

use crate::error::{Error, Record, Result};
use crate::wrap::Argon2Params;

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    record: Record,
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(data: &'a [u8], record: Record) -> Self {
        Self {
            data,
            pos: 0,
            record,
        }
    }

    pub(crate) const fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Error::Truncated {
            record: self.record,
            needed: usize::MAX,
            found: self.data.len(),
        })?;
        let out = self.data.get(self.pos..end).ok_or(Error::Truncated {
            record: self.record,
            needed: end,
            found: self.data.len(),
        })?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn field(&self, offset: usize, field: &'static str) -> Error {
        Error::Field {
            record: self.record,
            offset,
            field,
        }
    }

    /// Magic and version.
    pub(crate) fn header(&mut self, magic: &[u8; 4], version: u8) -> Result<()> {
        if self.data.len() < 5 {
            return Err(Error::Truncated {
                record: self.record,
                needed: 5,
                found: self.data.len(),
            });
        }
        if self.bytes(4)? != magic {
            return Err(Error::Magic {
                record: self.record,
            });
        }
        let found = self.u8()?;
        if found != version {
            return Err(Error::RecordVersion {
                record: self.record,
                found,
                expected: version,
            });
        }
        Ok(())
    }

    /// A length-prefixed (u8) id of 1..=255 bytes.
    pub(crate) fn id(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let at = self.pos;
        let n = self.u8()?;
        if n == 0 {
            return Err(self.field(at, field));
        }
        self.bytes(usize::from(n))
    }

    pub(crate) fn argon2_params(&mut self) -> Result<Argon2Params> {
        let at = self.pos;
        let p = Argon2Params {
            m_cost_kib: self.u32()?,
            t_cost: self.u32()?,
            p_cost: self.u32()?,
        };
        crate::wrap::check_params(&p).map_err(|e| match e {
            Error::Argon2Cost { .. } => e,
            _ => self.field(at, "Argon2 parameters"),
        })?;
        Ok(p)
    }

    pub(crate) fn finish(&self) -> Result<()> {
        let extra = self.data.len().saturating_sub(self.pos);
        if extra == 0 {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                record: self.record,
                found: extra,
            })
        }
    }
}

#[cfg(feature = "alloc")]
pub(crate) fn put_id(out: &mut alloc::vec::Vec<u8>, id: &[u8]) {
    // Ids are checked to be 1..=255 bytes when they enter a record.
    out.push(u8::try_from(id.len()).unwrap_or(0));
    out.extend_from_slice(id);
}

#[cfg(feature = "alloc")]
pub(crate) fn put_params(out: &mut alloc::vec::Vec<u8>, p: &Argon2Params) {
    out.extend_from_slice(&p.m_cost_kib.to_be_bytes());
    out.extend_from_slice(&p.t_cost.to_be_bytes());
    out.extend_from_slice(&p.p_cost.to_be_bytes());
}

pub(crate) fn check_id(id: &[u8]) -> Result<()> {
    if id.is_empty() || id.len() > 255 {
        return Err(Error::IdLength {
            found: id.len(),
            max: 255,
        });
    }
    Ok(())
}
