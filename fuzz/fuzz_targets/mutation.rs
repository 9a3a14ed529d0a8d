//! Shared by the run targets: with the `mutations` feature, `AIOSIM_FUZZ_MUTATION=<name>`
//! switches on one deliberate defect of the runtime (`aiosim::mutation::Mutation`, by its
//! variant name) for every run. Without the feature it does nothing.

/// Switches on the mutation named by `AIOSIM_FUZZ_MUTATION`, if any, on this thread.
pub fn apply() {
    #[cfg(feature = "mutations")]
    {
        use aiosim::mutation::{Mutation, set_mutation};
        static CHOSEN: std::sync::OnceLock<Option<Mutation>> = std::sync::OnceLock::new();
        let chosen = *CHOSEN.get_or_init(|| {
            let name = std::env::var("AIOSIM_FUZZ_MUTATION").ok()?;
            let found = Mutation::ALL.into_iter().find(|m| format!("{m:?}") == name);
            Some(found.unwrap_or_else(|| {
                panic!(
                    "AIOSIM_FUZZ_MUTATION={name}: not one of {:?}",
                    Mutation::ALL
                )
            }))
        });
        set_mutation(chosen);
    }
}
