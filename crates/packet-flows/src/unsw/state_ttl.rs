//! `ct_state_ttl`: UNSW-NB15's class of a record's state and TTLs.
//!
//! The dataset documents it only as "no. for each state according to a specific range of
//! values for source/destination time to live". This table is read off the shared
//! partition's rows: each (state, sttl, dttl) combination there has one dominant value, and
//! the combinations outside the table are 0. The TTLs it knows are the UNSW testbed's hosts'
//! (254/252, 62/252, 0); a capture from elsewhere mostly gets 0, as most dataset rows with
//! other TTLs do.
//!
//! ```
//! use packet_flows::unsw::ct_state_ttl;
//! assert_eq!(ct_state_ttl("FIN", 254, 252), 1);
//! assert_eq!(ct_state_ttl("INT", 254, 0), 2);
//! assert_eq!(ct_state_ttl("FIN", 64, 64), 0);
//! ```

/// The class of `state` with source TTL `sttl` and destination TTL `dttl`.
pub fn ct_state_ttl(state: &str, sttl: u8, dttl: u8) -> u8 {
    match (state, sttl, dttl) {
        ("FIN", 62 | 63 | 254 | 255, 252 | 253) => 1,
        ("INT", 0 | 62 | 254, 0) => 2,
        ("CON", 62, 252 | 253) | ("CON", 254, 60) => 3,
        ("CON" | "ACC", 254, 252) => 4,
        ("CLO", 254, 252) => 5,
        ("REQ", 254, 0) => 6,
        _ => 0,
    }
}
