//! etcd's ID generator (`pkg/idutil`): the low 16 bits of the member ID, then 40 bits of the Unix time in
//! milliseconds at start-up, then an 8-bit counter that carries into the time bits. Lease IDs come from it,
//! so they look like a real cluster's (`18dca209ed097410`: member `...18dc`).

const TS_BITS: u32 = 40;
const COUNT_BITS: u32 = 8;
const SUFFIX_BITS: u32 = TS_BITS + COUNT_BITS;

/// The simulated wall clock starts at this Unix time (2026-11-23 00:00:00 UTC), so IDs and
/// timestamps look current.
pub const EPOCH_UNIX_MS: u64 = 1_795_392_000_000;

#[derive(Clone, Debug, Default)]
pub struct IdGen {
    prefix: u64,
    suffix: u64,
}

impl IdGen {
    pub fn new(member_id: u64, now_ms: u64) -> IdGen {
        let unix_ms = EPOCH_UNIX_MS + now_ms;
        IdGen { prefix: (member_id & 0xffff) << SUFFIX_BITS, suffix: (unix_ms & ((1 << TS_BITS) - 1)) << COUNT_BITS }
    }

    pub fn next_id(&mut self) -> u64 {
        self.suffix += 1;
        self.prefix | (self.suffix & ((1 << SUFFIX_BITS) - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_prefix_then_counter() {
        let mut g = IdGen::new(0x21ae86ed49a718dc, 0);
        let a = g.next_id();
        assert_eq!(a >> 48, 0x18dc);
        assert_eq!(g.next_id(), a + 1);
    }
}
