#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace rebound {

/// Sequences of row numbers in a view's order, as the filter proxy keeps them: merging changed
/// rows into a sorted sequence, and the span two sequences differ in (what a layout change or a
/// dataChanged has to cover).
class RowOrder final
{
public:
    /// `base` and `fresh` both sorted by `before`: the merged sequence, finding each fresh row's
    /// place by binary search (k log n comparisons, not n: a batch of 100 changed rows among a
    /// million is 2 000 comparisons) and copying the runs between.
    template <typename Before>
    static std::vector<int> merge(const std::vector<int> &base, const std::vector<int> &fresh,
                                  Before before)
    {
        std::vector<int> out;
        out.reserve(base.size() + fresh.size());
        auto from = base.begin();
        for (int r : fresh) {
            const auto at = std::lower_bound(from, base.end(), r, before);
            out.insert(out.end(), from, at);
            out.push_back(r);
            from = at;
        }
        out.insert(out.end(), from, base.end());
        return out;
    }

    /// The first and one past the last index where `a` and `b` differ (equal sizes).
    static std::pair<std::size_t, std::size_t> differing(const std::vector<int> &a,
                                                         const std::vector<int> &b)
    {
        std::size_t lo = 0, hi = std::min(a.size(), b.size());
        while (lo < hi && a[lo] == b[lo])
            ++lo;
        while (hi > lo && a[hi - 1] == b[hi - 1])
            --hi;
        return {lo, hi};
    }
};

} // namespace rebound
