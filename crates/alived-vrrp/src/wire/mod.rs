//! VRRP on the wire (behaviour spec 5.7-5.9; RFC 3768, RFC 5798): adverts, authentication,
//! checksums, GARP and unsolicited neighbour advertisements.
