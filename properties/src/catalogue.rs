//! Every invariant ID of the catalogue and where it is judged.
