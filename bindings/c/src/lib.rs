//! The c binding of m2m-auth (not yet written).
