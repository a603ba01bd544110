// CSV writer round trip: cells written by Csv::row and read back by an RFC 4180 reader are
// identical (after removing the neutralising '), and no cell starts with a formula trigger.
#include "support/Csv.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Split the input into cells at 0x1F bytes; cells are arbitrary UTF-8 (invalid sequences
    // become U+FFFD, as any QString would).
    QStringList cells;
    for (const QByteArray &part :
         QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size))
             .split('\x1f'))
        cells << QString::fromUtf8(part);
    QList<QStringList> rows;
    if (!rebound::Csv::parse(rebound::Csv::row(cells), rows) || rows.size() != 1 ||
        rows[0].size() != cells.size())
        std::abort();
    for (qsizetype i = 0; i < cells.size(); ++i) {
        const QString &written = rows[0][i];
        if (!written.isEmpty() && rebound::Csv::isFormulaTrigger(written.front()))
            std::abort();
        if (rebound::Csv::unneutralise(written) != cells[i])
            std::abort();
        QByteArray fast;
        rebound::Csv::appendCell(fast, cells[i].toUtf8());
        if (fast != rebound::Csv::cell(cells[i]))
            std::abort(); // the export's fast path writes exactly what the reference writer does
    }
    return 0;
}
