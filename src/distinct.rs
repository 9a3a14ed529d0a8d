//! Inputs without repeats, in order: the combinators that take a collection of awaitables
//! (`gather`, `wait`, `as_completed`) act once per distinct input, at its first position.

use std::borrow::Cow;

/// `items` without repeats, each at its first position, in O(n log n): a sorted copy finds the
/// repeats. In the common cases (increasing items, or no repeats) that is `items` itself.
pub(crate) fn distinct_in_order<T: Copy + Ord>(items: &[T]) -> Cow<'_, [T]> {
    // Tasks created one after another and gathered in that order usually come in increasing
    // order already: then there is nothing to sort.
    if items.windows(2).all(|w| w[0] < w[1]) {
        return Cow::Borrowed(items);
    }
    let mut sorted = items.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).all(|w| w[0] != w[1]) {
        return Cow::Borrowed(items);
    }
    // The first occurrence of each item claims its rank among the distinct ones.
    sorted.dedup();
    let mut claimed = vec![false; sorted.len()];
    let distinct = items
        .iter()
        .copied()
        .filter(|item| {
            let rank = sorted
                .binary_search(item)
                .expect("every item is in the sorted copy");
            !std::mem::replace(&mut claimed[rank], true)
        })
        .collect();
    Cow::Owned(distinct)
}

#[cfg(test)]
mod tests {
    use super::distinct_in_order;

    #[test]
    fn repeats_keep_only_their_first_position() {
        assert_eq!(*distinct_in_order(&[3, 1, 3, 2, 1, 7]), [3, 1, 2, 7]);
        assert_eq!(*distinct_in_order(&[5, 4, 9]), [5, 4, 9]);
        assert_eq!(*distinct_in_order(&[8, 8, 8]), [8]);
        assert!(distinct_in_order::<u32>(&[]).is_empty());
    }

    #[test]
    fn agrees_with_a_first_seen_scan() {
        let mut x: u32 = 0x2545_f491;
        for len in 0..60 {
            let ids: Vec<u32> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x % 24
                })
                .collect();
            let mut seen = Vec::new();
            for &c in &ids {
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
            assert_eq!(*distinct_in_order(&ids), seen, "{ids:?}");
        }
    }
}
