#include "PolicyEditorDialog.h"

#include "decision/BackoffSequence.h"
#include "policy/JsonTextEdit.h"
#include "policy/PolicyDocument.h"
#include "policy/PolicySchema.h"
#include "policy/PolicyStore.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QValueAxis>

namespace rebound {

PolicyEditorDialog::PolicyEditorDialog(PolicyStore &store, QWidget *parent)
    : QDialog(parent), m_store(store), m_policy(new QComboBox(this)),
      m_json(new QPlainTextEdit(this)), m_errors(new QLabel(this)), m_preview(new QChartView(this)),
      m_versions(new QListWidget(this)), m_diff(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("policyEditor"));
    setWindowTitle(tr("Policies"));
    resize(1000, 680);
    m_policy->setObjectName(QStringLiteral("policySelector"));
    m_json->setObjectName(QStringLiteral("policyJson"));
    m_errors->setObjectName(QStringLiteral("policyErrors"));
    m_versions->setObjectName(QStringLiteral("policyVersions"));
    m_diff->setObjectName(QStringLiteral("policyDiff"));

    m_json->setFont(QFont(QStringLiteral("monospace")));
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(QStringLiteral("QLabel { color: #d63b3b; }"));
    m_preview->setRenderHint(QPainter::Antialiasing);
    m_preview->setMinimumHeight(220);
    m_diff->setReadOnly(true);
    m_diff->setFont(QFont(QStringLiteral("monospace")));

    auto *form = new QFormLayout;
    form->addRow(tr("Policy"), m_policy);
    // One row per field the schema shows in the editor, with the schema's range and unit: a
    // value the validator accepts is a value the form can hold (a 30-day deadline included).
    for (const PolicyField &f : PolicySchema::fields()) {
        if (!f.inEditor)
            continue;
        QWidget *w = nullptr;
        switch (f.kind) {
        case PolicyField::Kind::Real:
        case PolicyField::Kind::Integer: {
            auto *box = new QDoubleSpinBox(this);
            // Wider than the schema's range: a value out of it is kept and the row says why,
            // rather than the box snapping back without a word.
            box->setRange(-1e12, 1e12);
            // Whole milliseconds read best; rates and weights keep their fractions.
            const QString unit = QString::fromUtf8(f.unit);
            box->setDecimals(f.kind == PolicyField::Kind::Integer || unit == QLatin1String("ms") ? 0
                             : unit.startsWith(u'%')                                             ? 1
                                                     : 3);
            if (*f.unit)
                box->setSuffix(u' ' + QString::fromUtf8(f.unit));
            w = box;
            break;
        }
        case PolicyField::Kind::Choice: {
            auto *combo = new QComboBox(this);
            combo->addItems(f.choices);
            w = combo;
            break;
        }
        case PolicyField::Kind::Boolean:
            w = new QCheckBox(this);
            break;
        }
        w->setObjectName(f.path());
        w->setToolTip(f.path());
        // The problem with this field, next to it (hidden while there is none).
        auto *problem = new QLabel(this);
        problem->setObjectName(f.path() + QStringLiteral(".error"));
        problem->setStyleSheet(QStringLiteral("QLabel { color: #c0392b; }"));
        problem->setWordWrap(true);
        problem->hide();
        auto *cell = new QWidget(this);
        auto *cellLayout = new QVBoxLayout(cell);
        cellLayout->setContentsMargins(0, 0, 0, 0);
        cellLayout->setSpacing(1);
        cellLayout->addWidget(w);
        cellLayout->addWidget(problem);
        form->addRow(tr(f.label), cell);
        m_rows.append({&f, w, problem});
    }
    // The classification's lists, as comma-separated codes.
    m_retryable = new QLineEdit(this);
    m_retryable->setObjectName(QStringLiteral("retryableStatusCodes"));
    m_retryable->setPlaceholderText(tr("e.g. 409, 423"));
    m_nonRetryable = new QLineEdit(this);
    m_nonRetryable->setObjectName(QStringLiteral("nonRetryableStatusCodes"));
    m_nonRetryable->setPlaceholderText(tr("e.g. 502"));
    form->addRow(tr("Also retry HTTP"), m_retryable);
    form->addRow(tr("Never retry HTTP"), m_nonRetryable);
    auto *formBox = new QWidget(this);
    formBox->setLayout(form);
    // Many rows: the form scrolls, the dialog fits a laptop screen.
    auto *formScroll = new QScrollArea(this);
    formScroll->setWidget(formBox);
    formScroll->setWidgetResizable(true);

    auto *tabs = new QTabWidget(this);
    auto *editor = new QSplitter(Qt::Horizontal, this);
    editor->addWidget(formScroll);
    editor->addWidget(m_json);
    auto *editTab = new QWidget(this);
    auto *editLayout = new QVBoxLayout(editTab);
    editLayout->addWidget(editor, 2);
    editLayout->addWidget(m_preview, 1);
    editLayout->addWidget(m_errors);
    // Fleet mode's answer to Publish: its own line, since the version arriving back reloads the
    // document and re-validates it (which rewrites the error line).
    m_publishStatus = new QLabel(this);
    m_publishStatus->setObjectName(QStringLiteral("policyPublishStatus"));
    m_publishStatus->setWordWrap(true);
    m_publishStatus->hide();
    editLayout->addWidget(m_publishStatus);
    tabs->addTab(editTab, tr("Edit"));
    auto *historyTab = new QSplitter(Qt::Horizontal, this);
    historyTab->addWidget(m_versions);
    historyTab->addWidget(m_diff);
    tabs->addTab(historyTab, tr("History"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *applyButton = buttons->addButton(tr("Apply…"), QDialogButtonBox::ApplyRole);
    applyButton->setObjectName(QStringLiteral("applyPolicyButton"));
    applyButton->setToolTip(tr("Shows what changes, then applies it to the next decision"));
    m_apply = applyButton;
    auto *revert =
        buttons->addButton(tr("Revert to selected version"), QDialogButtonBox::ResetRole);
    revert->setObjectName(QStringLiteral("revertPolicyButton"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(applyButton, &QPushButton::clicked, this, &PolicyEditorDialog::confirmAndApply);
    connect(revert, &QPushButton::clicked, this, [this] {
        const int row = m_versions->currentRow();
        if (row < 0)
            return;
        m_json->setPlainText(QString::fromUtf8(m_store.history().at(row).content));
        apply();
    });
    // Each row writes its own value, and only it.
    for (const Row &r : std::as_const(m_rows)) {
        const QString section = QString::fromLatin1(r.field->section);
        const QString key = QString::fromLatin1(r.field->key);
        if (auto *box = qobject_cast<QDoubleSpinBox *>(r.widget)) {
            const bool integer = r.field->kind == PolicyField::Kind::Integer;
            connect(box, &QDoubleSpinBox::valueChanged, this, [=, this](double v) {
                edit(section, key, integer ? QJsonValue(qint64(std::llround(v))) : QJsonValue(v));
            });
        } else if (auto *combo = qobject_cast<QComboBox *>(r.widget)) {
            connect(combo, &QComboBox::currentTextChanged, this,
                    [=, this](const QString &v) { edit(section, key, v); });
        } else if (auto *check = qobject_cast<QCheckBox *>(r.widget)) {
            connect(check, &QCheckBox::toggled, this, [=, this](bool v) { edit(section, key, v); });
        }
    }
    for (const auto &[line, key] : {std::pair{m_retryable, "retryableStatusCodes"},
                                    std::pair{m_nonRetryable, "nonRetryableStatusCodes"}}) {
        connect(line, &QLineEdit::textEdited, this,
                [this, key = QString::fromLatin1(key)](const QString &text) {
                    QJsonArray codes;
                    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
                        bool ok = false;
                        const int code = part.trimmed().toInt(&ok);
                        // A bad entry stays as written: validation names it.
                        codes.append(ok ? QJsonValue(code) : QJsonValue(part.trimmed()));
                    }
                    edit(QStringLiteral("classification"), key, codes);
                });
    }
    connect(m_policy, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_syncing)
            jsonToForm();
    });
    connect(m_json, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_syncing)
            jsonToForm();
    });
    connect(m_versions, &QListWidget::currentRowChanged, this, &PolicyEditorDialog::showVersion);
    // Edits made to the file outside the console show up here.
    connect(&m_store, &PolicyStore::policiesChanged, this, &PolicyEditorDialog::loadFromStore);
    connect(&m_store, &PolicyStore::reloadFailed, this, [this](const QStringList &errors) {
        m_errors->setText(tr("The policy file was changed outside Rebound and is invalid; the last "
                             "good version stays in force:\n") +
                          errors.join(u'\n'));
    });
    loadFromStore();
}

void PolicyEditorDialog::loadFromStore()
{
    const auto history = m_store.history();
    m_versions->clear();
    for (const PolicyVersion &v : history)
        m_versions->addItem(
            tr("v%1 · %2 · %3 · %4")
                .arg(v.number)
                .arg(v.at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), v.source,
                     QString::fromLatin1(v.sha256.left(12))));
    m_syncing = true;
    m_json->setPlainText(QString::fromUtf8(
        history.isEmpty() ? PolicyDocument::serialize(PolicySet{}) : history.last().content));
    m_syncing = false;
    jsonToForm();
}

void PolicyEditorDialog::jsonToForm()
{
    const QJsonDocument doc = QJsonDocument::fromJson(m_json->toPlainText().toUtf8());
    validate();
    const QJsonArray policies = doc.object().value(QStringLiteral("policies")).toArray();
    m_syncing = true;
    const QString current = m_policy->currentText();
    if (m_policy->count() != policies.size()) {
        const QSignalBlocker block(m_policy); // repopulating must not re-enter this function
        m_policy->clear();
        for (const QJsonValue &p : policies)
            m_policy->addItem(p.toObject().value(QStringLiteral("name")).toString());
        m_policy->setCurrentIndex(std::max(0, m_policy->findText(current)));
    }
    const int i = m_policy->currentIndex();
    if (i >= 0 && i < policies.size()) {
        const QJsonObject policy = policies.at(i).toObject();
        const RetryPolicy defaults;
        for (const Row &r : std::as_const(m_rows)) {
            const QJsonValue v = policy.value(QLatin1String(r.field->section))
                                     .toObject()
                                     .value(QLatin1String(r.field->key));
            const QJsonValue shown = v.isUndefined() ? r.field->get(defaults) : v;
            const QSignalBlocker block(r.widget); // showing is not editing
            if (auto *box = qobject_cast<QDoubleSpinBox *>(r.widget))
                box->setValue(shown.toDouble());
            else if (auto *combo = qobject_cast<QComboBox *>(r.widget))
                combo->setCurrentText(shown.toString());
            else if (auto *check = qobject_cast<QCheckBox *>(r.widget))
                check->setChecked(shown.toBool());
        }
        const QJsonObject cls = policy.value(QStringLiteral("classification")).toObject();
        const auto codes = [&cls](const char *key) {
            QStringList out;
            for (const QJsonValue &v : cls.value(QLatin1String(key)).toArray())
                out << QString::number(v.toInt());
            return out.join(QStringLiteral(", "));
        };
        m_retryable->setText(codes("retryableStatusCodes"));
        m_nonRetryable->setText(codes("nonRetryableStatusCodes"));
    }
    m_syncing = false;
    updatePreview();
}

void PolicyEditorDialog::edit(const QString &section, const QString &key, const QJsonValue &value)
{
    if (m_syncing)
        return;
    const int i = m_policy->currentIndex();
    if (i < 0)
        return;
    const auto edited =
        JsonTextEdit::set(m_json->toPlainText().toUtf8(),
                          {QStringLiteral("policies"), QString::number(i), section, key}, value);
    if (!edited) {
        m_errors->setText(edited.error().message);
        return;
    }
    m_syncing = true;
    m_json->setPlainText(QString::fromUtf8(*edited));
    m_syncing = false;
    validate();
    updatePreview();
}

void PolicyEditorDialog::validate()
{
    m_parsed = PolicyDocument::parse(m_json->toPlainText().toUtf8());
    const PolicyValidation &v = m_parsed;
    m_errors->setText(v.ok() ? QString() : v.errors.join(u'\n'));
    // Each error about a field of the policy shown lands next to that field, and marks it.
    const QString prefix = QStringLiteral("policies[%1].").arg(m_policy->currentIndex());
    for (const Row &r : std::as_const(m_rows)) {
        QStringList mine;
        const QString path = prefix + r.field->path();
        for (const QString &e : v.errors)
            if (e.startsWith(path + u':'))
                mine << e.mid(path.size() + 1).trimmed();
        r.problem->setText(mine.join(u'\n'));
        r.problem->setVisible(!mine.isEmpty());
        r.widget->setStyleSheet(mine.isEmpty() ? QString()
                                               : QStringLiteral("border: 2px solid #c0392b;"));
    }
    // Nothing invalid, and nothing unchanged, can be applied.
    const bool changed = v.ok() && !(*v.set == *m_store.current());
    m_apply->setEnabled(changed);
    m_apply->setToolTip(!v.ok()   ? tr("Fix the problems first:\n%1").arg(v.errors.join(u'\n'))
                        : changed ? tr("Shows what changes, then applies it to the next decision")
                                  : tr("Nothing to apply: these are the policies in force"));
}

QString PolicyEditorDialog::lineDiff(const QString &before, const QString &after)
{
    // A line diff: enough to see what an edit changes.
    const QStringList now = after.split(u'\n');
    const QStringList was = before.split(u'\n');
    QString out;
    for (const QString &l : was)
        if (!now.contains(l))
            out += QStringLiteral("- ") + l + u'\n';
    for (const QString &l : now)
        if (!was.contains(l))
            out += QStringLiteral("+ ") + l + u'\n';
    return out;
}

void PolicyEditorDialog::confirmAndApply()
{
    const auto history = m_store.history();
    const QString current =
        history.isEmpty() ? QString() : QString::fromUtf8(history.last().content);
    const QString diff = lineDiff(current, m_json->toPlainText());
    if (diff.isEmpty()) {
        m_errors->setText(tr("Nothing to apply: the document is the one in effect."));
        return;
    }
    QMessageBox box(QMessageBox::Question, tr("Apply policies"),
                    tr("Apply these changes? They take effect at the next decision."),
                    QMessageBox::Apply | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("applyConfirm"));
    box.setDetailedText(diff);
    box.setInformativeText(diff.left(600));
    if (box.exec() == QMessageBox::Apply)
        apply();
}

void PolicyEditorDialog::updatePreview()
{
    // For the edited values: nominal delay per retry, the band jitter can put it in, and the
    // cumulative worst case against the deadline.
    // From the document as the engine would read it (a text with errors: the last good one).
    const PolicyValidation &parsed = m_parsed;
    if (!parsed.ok())
        return;
    const int i = m_policy->currentIndex();
    if (i < 0 || i >= parsed.set->policies.size())
        return;
    BackoffConfig c = parsed.set->policies.at(i).backoff;
    c.maxAttempts = std::min(c.maxAttempts, 200);
    const double deadlineMs = double(c.totalDeadlineMs);
    const JitterStrategy &jitter = JitterStrategy::of(c.jitter);
    auto *nominal = new QLineSeries;
    nominal->setName(tr("delay (nominal)"));
    auto *lower = new QLineSeries;
    auto *upper = new QLineSeries;
    auto *cumulative = new QLineSeries;
    cumulative->setName(tr("cumulative worst case"));
    double worst = 0, maxY = 1;
    QString chartTitleSuffix;
    double prevUpper = c.initialDelayMs;
    for (int r = 1; r < c.maxAttempts; ++r) {
        const double d = BackoffSequence::nominalDelay(c, r);
        const JitterBand b = jitter.band(
            JitterInputs{d, prevUpper, c.initialDelayMs, c.maxDelayMs, c.randomizationFactor});
        const double lo = b.lowMs, hi = b.highMs;
        prevUpper = hi; // the widest a decorrelated sleep can grow from
        nominal->append(r, d);
        lower->append(r, lo);
        upper->append(r, hi);
        worst += hi;
        cumulative->append(r, worst);
        maxY = std::max({maxY, hi, worst});
    }
    auto *band = new QAreaSeries(upper, lower);
    band->setName(tr("jitter band"));
    band->setOpacity(0.3);
    auto *chart = new QChart;
    chart->addSeries(band);
    chart->addSeries(nominal);
    chart->addSeries(cumulative);
    // A deadline far beyond the whole schedule would flatten the chart: name it instead.
    const bool deadlineOnChart = deadlineMs > 0 && deadlineMs <= 3 * worst;
    if (deadlineMs > 0 && !deadlineOnChart)
        chartTitleSuffix = tr(" — deadline %1 s, beyond the worst case of %2 s")
                               .arg(deadlineMs / 1000.0)
                               .arg(worst / 1000.0, 0, 'f', 1);
    else if (deadlineOnChart && worst > deadlineMs)
        chartTitleSuffix = tr(
            " — the worst case passes the deadline: later retries will stop as deadline_exceeded");
    if (deadlineOnChart) {
        auto *deadline = new QLineSeries;
        deadline->setName(tr("deadline"));
        deadline->append(1, deadlineMs);
        deadline->append(std::max(2, c.maxAttempts - 1), deadlineMs);
        chart->addSeries(deadline);
        maxY = std::max(maxY, deadlineMs);
    }
    chart->createDefaultAxes();
    if (auto *y = qobject_cast<QValueAxis *>(chart->axes(Qt::Vertical).value(0))) {
        y->setRange(0, maxY * 1.05);
        y->setTitleText(tr("ms"));
    }
    if (auto *x = qobject_cast<QValueAxis *>(chart->axes(Qt::Horizontal).value(0))) {
        x->setTitleText(tr("retry"));
        x->setLabelFormat(QStringLiteral("%d"));
    }
    chart->setTitle(tr("Schedule preview") + chartTitleSuffix);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QChart *old = m_preview->chart();
    m_preview->setChart(chart);
    delete old;
}

void PolicyEditorDialog::setPublisher(Publisher publisher)
{
    m_publisher = std::move(publisher);
    m_apply->setText(tr("Publish…"));
    m_publishStatus->show();
    setWindowTitle(windowTitle() + tr(" — fleet"));
}

bool PolicyEditorDialog::apply()
{
    const QByteArray doc = m_json->toPlainText().toUtf8();
    if (m_publisher) {
        // Read already, as it was typed (validate()); the publisher checks it once more for
        // whoever else publishes.
        if (!m_parsed.ok()) {
            m_errors->setText(m_parsed.errors.join(u'\n'));
            return false;
        }
        m_errors->clear();
        m_publishStatus->setText(tr("Publishing…"));
        QPointer<PolicyEditorDialog> self(this);
        m_publisher(doc, [self](Result<std::int64_t> r) {
            if (!self)
                return;
            // The members (this console among them) apply it as it comes back through the
            // watch; the Fleet dock shows who runs it and who refused it.
            self->m_publishStatus->setText(
                r ? tr("Published as version %1; every member applies it as it arrives.").arg(*r)
                  : tr("Not published: %1").arg(r.error().message));
        });
        return true;
    }
    const auto r = m_store.apply(
        doc,
        QStringLiteral("console:%1").arg(qEnvironmentVariable("USER", QStringLiteral("operator"))));
    if (!r) {
        m_errors->setText(r.error().message);
        return false;
    }
    m_errors->clear();
    return true;
}

void PolicyEditorDialog::showVersion(int row)
{
    const auto history = m_store.history();
    if (row < 0 || row >= history.size())
        return;
    QString out = tr("v%1 by %2\n\n").arg(history[row].number).arg(history[row].source);
    out += lineDiff(row > 0 ? QString::fromUtf8(history[row - 1].content) : QString(),
                    QString::fromUtf8(history[row].content));
    m_diff->setPlainText(out);
}

} // namespace rebound
