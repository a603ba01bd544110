#pragma once

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;

class QChartView;
class QLineSeries;
class QAreaSeries;

namespace rebound {

class PolicyStore;

/// Hot edit of the policies: a form for the backoff of each policy and the whole document as
/// JSON, kept in sync; inline validation naming the field; a schedule preview (each retry's
/// delay with its jitter band, and the cumulative worst case against the deadline); Apply
/// hot-swaps the running policies and writes the file; the version history with a diff and
/// Revert. Changes made to the file outside the console appear here live.
class PolicyEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyEditorDialog)

public:
    explicit PolicyEditorDialog(PolicyStore &store, QWidget *parent = nullptr);

    /// Applies the JSON shown; returns false (and shows why) when it is invalid.
    bool apply();

private:
    void loadFromStore();
    void formToJson();
    void jsonToForm();
    void validate();
    void updatePreview();
    void showVersion(int row);

    PolicyStore &m_store;
    QComboBox *m_policy;
    QSpinBox *m_initial;
    QDoubleSpinBox *m_multiplier;
    QSpinBox *m_cap;
    QSpinBox *m_attempts;
    QSpinBox *m_deadline;
    QComboBox *m_jitter;
    QDoubleSpinBox *m_factor;
    /// The other sections' numbers (breaker thresholds, budget, health) as generic form rows.
    struct Field
    {
        QString section;
        QString key;
        QDoubleSpinBox *box;
        double defaultValue;
    };
    QList<Field> m_fields;
    QLineEdit *m_retryable;    ///< classification.retryableStatusCodes, comma separated
    QLineEdit *m_nonRetryable; ///< classification.nonRetryableStatusCodes
    QPlainTextEdit *m_json;
    QLabel *m_errors;
    QChartView *m_preview;
    QListWidget *m_versions;
    QPlainTextEdit *m_diff;
    bool m_syncing = false;
};

} // namespace rebound
