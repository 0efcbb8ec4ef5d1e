//! A store implemented outside the facade, as a PKCS#11 token would be: it
//! checks the PIN itself (a PIN pad: no PIN passed), keeps its own tries and
//! reports them as "low / last try / locked", and may be absent. The
//! recovery works with it unchanged, and checks the share against the
//! header.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward::backup::{
    self, BackupOptions, CardHeader, CardRecovery, CardStore, DEFAULT_PIN, Error, MemoryCard,
    PinEntry, SealParams, StoreError, TriesLeft, WriteMode,
};
use keyward::key::rand_core::CryptoRng;
use keyward::key::zeroize::Zeroizing;

/// A token with a PIN pad: `typed` stands for what the custodian types on
/// the reader.
#[derive(Debug)]
struct Token {
    inserted: bool,
    header: CardHeader,
    share: Vec<u8>,
    typed: Vec<u8>,
    pin: Vec<u8>,
    tries: u8,
}

impl Token {
    fn from_memory(card: &mut MemoryCard) -> Self {
        let header = card.read_header().unwrap();
        let share = card.unlock(Some(DEFAULT_PIN)).unwrap().to_vec();
        let header = CardHeader::new(
            format!("token {}", header.number),
            header.set_id,
            (header.threshold, header.shares, header.number),
            header.kcv,
            TriesLeft::Unknown,
        )
        .unwrap();
        Self {
            inserted: true,
            header,
            share,
            typed: DEFAULT_PIN.to_vec(),
            pin: DEFAULT_PIN.to_vec(),
            tries: 3,
        }
    }
    fn flags(&self) -> TriesLeft {
        match self.tries {
            0 => TriesLeft::Locked,
            1 => TriesLeft::LastTry,
            2 => TriesLeft::Low,
            _ => TriesLeft::Unknown,
        }
    }
}

impl CardStore for Token {
    fn describe(&self) -> String {
        format!("token \"{}\" serial 0A1B2C", self.header.label)
    }
    fn pin_entry(&self) -> PinEntry {
        PinEntry::PinPad
    }
    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        if !self.inserted {
            return Err(StoreError::Absent {
                store: self.describe(),
            });
        }
        let mut h = self.header.clone();
        h.tries_left = self.flags();
        Ok(h)
    }
    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.read_header()?;
        if pin.is_some() {
            return Err(StoreError::PinEntry {
                expected: PinEntry::PinPad,
            });
        }
        if self.tries == 0 {
            return Err(StoreError::Blocked { after: None });
        }
        // C_Login: the token counts, then checks.
        self.tries -= 1;
        if self.typed != self.pin {
            return Err(StoreError::WrongPin {
                tries_left: self.flags(),
            });
        }
        self.tries = 3;
        Ok(Zeroizing::new(self.share.clone()))
    }
    fn write_share(&mut self, _: &SealParams<'_>, _: WriteMode) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            store: self.describe(),
            operation: "be written in this test",
        })
    }
    fn change_pin(
        &mut self,
        _: Option<&[u8]>,
        _: Option<&[u8]>,
        _: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            store: self.describe(),
            operation: "change its PIN in this test",
        })
    }
}

fn made() -> backup::Backup {
    let mut o = BackupOptions::new(2, 3).unwrap();
    o = o.weak_argon2_for_tests();
    o.iteration_exponent = 0;
    backup::create(&o, &mut ChaCha20Rng::from_seed([9; 32])).unwrap()
}

#[test]
fn a_pin_pad_token_and_a_soft_card_rebuild_the_key() {
    let mut m = made();
    let mut token = Token::from_memory(&mut m.cards[0]);
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    // Absent first: named, then inserted.
    token.inserted = false;
    let e = rec.add(&mut token, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "card 1 is not there (token \"token 1\" serial 0A1B2C): insert or attach it"
    );
    token.inserted = true;
    // A typed PIN for a PIN-pad reader is refused before any try.
    let e = rec.add(&mut token, Some(DEFAULT_PIN)).unwrap_err();
    assert!(e.to_string().contains("on the reader's PIN pad"), "{e}");
    assert_eq!(token.tries, 3);
    // Wrong PINs typed on the pad: "few", "last try", "locked".
    token.typed = b"000000".to_vec();
    let msgs: Vec<String> = (0..3)
        .map(|_| rec.add(&mut token, None).unwrap_err().to_string())
        .collect();
    assert_eq!(
        msgs,
        [
            "wrong PIN for card 3: few tries left before the card blocks",
            "wrong PIN for card 4: 1 try left before the card blocks",
            "wrong PIN for card 5: no tries left, the card is now blocked",
        ]
    );
    let e = rec.add(&mut token, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "card 6 is blocked after too many wrong PINs: use another card of the set or its duplicate"
    );
    token.tries = 3;
    token.typed = DEFAULT_PIN.to_vec();
    rec.add(&mut token, None).unwrap();
    rec.add(&mut m.cards[2], Some(DEFAULT_PIN)).unwrap();
    assert_eq!(rec.finish().unwrap(), m.key);
}

/// The header names one card, the share inside is another's: named as a
/// mismatch after the unlock, never counted.
#[test]
fn a_header_that_disagrees_with_its_share_is_named() {
    let mut m = made();
    let mut token = Token::from_memory(&mut m.cards[0]);
    token.header.number = 2;
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let e = rec.add(&mut token, None).unwrap_err();
    assert!(matches!(
        e,
        Error::HeaderMismatch {
            header: (_, 2),
            sealed: (_, 1),
            ..
        }
    ));
    assert!(
        e.to_string()
            .starts_with("card 1 is not what its header says: the header names set "),
        "{e}"
    );
    assert_eq!(rec.progress().read, 0);
    let mut other = made();
    let mut token = Token::from_memory(&mut m.cards[1]);
    token.header.set_id = other.cards[0].read_header().unwrap().set_id ^ 1;
    let e = CardRecovery::new().add(&mut token, None).unwrap_err();
    assert!(matches!(e, Error::HeaderMismatch { .. }), "{e:?}");
    // Through the read-back too.
    let mut mixed = vec![
        Token::from_memory(&mut m.cards[0]),
        Token::from_memory(&mut m.cards[1]),
    ];
    mixed[1].header.number = 3;
    let e = backup::verify_read_back(&mut mixed, None).unwrap_err();
    assert!(
        matches!(e, Error::HeaderMismatch { card: Some(n), .. } if n.get() == 2),
        "{e:?}"
    );
}
