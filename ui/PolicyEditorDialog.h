#pragma once

#include "policy/PolicyDocument.h"
#include "support/Result.h"

#include <QDialog>
#include <QJsonValue>

#include <functional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QWidget;

class QChartView;
class QLineSeries;
class QAreaSeries;

namespace rebound {

class PolicyStore;
struct PolicyField;

/// Hot edit of the policies: a form built from the policy schema (PolicySchema: its ranges,
/// units and labels) and the whole document as JSON, kept in sync — a form edit changes that
/// one value in the text and nothing else (JsonTextEdit); inline validation naming the field; a
/// schedule preview (each retry's delay with its jitter band, and the cumulative worst case against
/// the deadline); Apply hot-swaps the running policies and writes the file; the version history
/// with a diff and Revert. Changes made to the file outside the console appear here live.
class PolicyEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyEditorDialog)

public:
    explicit PolicyEditorDialog(PolicyStore &store, QWidget *parent = nullptr);

    /// Where Apply sends a document in fleet mode (the config centre), instead of this console's
    /// store; `done` gets the published version.
    using Publisher = std::function<void(const QByteArray &document,
                                         std::function<void(Result<std::int64_t>)> done)>;
    void setPublisher(Publisher publisher);

    /// Applies the JSON shown (or publishes it, in fleet mode); returns false (and shows why)
    /// when it is invalid.
    bool apply();
    /// Shows the line diff against the document in effect and applies it if confirmed.
    void confirmAndApply();
    static QString lineDiff(const QString &before, const QString &after);

private:
    void loadFromStore();
    /// One form value into the text, at policies[i].section.key.
    void edit(const QString &section, const QString &key, const QJsonValue &value);
    void jsonToForm();
    /// Reads the text once per change: the errors, the preview and Publish all use this.
    void validate();
    void updatePreview();
    void showVersion(int row);

    PolicyStore &m_store;
    Publisher m_publisher;
    QLabel *m_publishStatus = nullptr;
    QComboBox *m_policy;
    /// The form's rows, one per schema field shown in the editor.
    struct Row
    {
        const PolicyField *field;
        QWidget *widget; ///< QDoubleSpinBox, QComboBox or QCheckBox
        QLabel *problem; ///< what is wrong with the value, shown under it
    };
    QList<Row> m_rows;
    QLineEdit *m_retryable;    ///< classification.retryableStatusCodes, comma separated
    QLineEdit *m_nonRetryable; ///< classification.nonRetryableStatusCodes
    QPlainTextEdit *m_json;
    QLabel *m_errors;
    QPushButton *m_apply = nullptr;
    QChartView *m_preview;
    QListWidget *m_versions;
    QPlainTextEdit *m_diff;
    bool m_syncing = false;
    PolicyValidation m_parsed; ///< the text as last read by validate()
};

} // namespace rebound
