#include "PolicyEditorDialog.h"

#include "BackoffSequence.h"
#include "PolicyDocument.h"
#include "PolicyStore.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
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
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QValueAxis>

namespace rebound {

PolicyEditorDialog::PolicyEditorDialog(PolicyStore &store, QWidget *parent)
    : QDialog(parent), m_store(store), m_policy(new QComboBox(this)), m_initial(new QSpinBox(this)),
      m_multiplier(new QDoubleSpinBox(this)), m_cap(new QSpinBox(this)),
      m_attempts(new QSpinBox(this)), m_deadline(new QSpinBox(this)), m_jitter(new QComboBox(this)),
      m_factor(new QDoubleSpinBox(this)), m_json(new QPlainTextEdit(this)),
      m_errors(new QLabel(this)), m_preview(new QChartView(this)),
      m_versions(new QListWidget(this)), m_diff(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("policyEditor"));
    setWindowTitle(tr("Policies"));
    resize(1000, 680);
    m_policy->setObjectName(QStringLiteral("policySelector"));
    m_initial->setObjectName(QStringLiteral("initialDelay"));
    m_multiplier->setObjectName(QStringLiteral("multiplier"));
    m_cap->setObjectName(QStringLiteral("maxDelay"));
    m_attempts->setObjectName(QStringLiteral("maxAttempts"));
    m_deadline->setObjectName(QStringLiteral("totalDeadline"));
    m_jitter->setObjectName(QStringLiteral("jitterMode"));
    m_factor->setObjectName(QStringLiteral("randomizationFactor"));
    m_json->setObjectName(QStringLiteral("policyJson"));
    m_errors->setObjectName(QStringLiteral("policyErrors"));
    m_versions->setObjectName(QStringLiteral("policyVersions"));
    m_diff->setObjectName(QStringLiteral("policyDiff"));

    m_initial->setRange(0, 86'400'000);
    m_initial->setSuffix(tr(" ms"));
    m_multiplier->setRange(0, 1000);
    m_multiplier->setDecimals(2);
    m_multiplier->setSingleStep(0.5);
    m_cap->setRange(0, 604'800'000);
    m_cap->setSuffix(tr(" ms"));
    m_attempts->setRange(1, 1'000'000);
    m_deadline->setRange(0, 2'000'000'000);
    m_deadline->setSuffix(tr(" ms"));
    m_deadline->setSpecialValueText(tr("none"));
    for (const char *j : {"none", "full", "equal", "decorrelated", "proportional"})
        m_jitter->addItem(QString::fromLatin1(j));
    m_factor->setRange(0, 1);
    m_factor->setSingleStep(0.1);
    m_json->setFont(QFont(QStringLiteral("monospace")));
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(QStringLiteral("QLabel { color: #d63b3b; }"));
    m_preview->setRenderHint(QPainter::Antialiasing);
    m_preview->setMinimumHeight(220);
    m_diff->setReadOnly(true);
    m_diff->setFont(QFont(QStringLiteral("monospace")));

    auto *form = new QFormLayout;
    form->addRow(tr("Policy"), m_policy);
    form->addRow(tr("Initial delay"), m_initial);
    form->addRow(tr("Multiplier"), m_multiplier);
    form->addRow(tr("Max delay (cap)"), m_cap);
    form->addRow(tr("Max attempts"), m_attempts);
    form->addRow(tr("Total deadline"), m_deadline);
    form->addRow(tr("Jitter"), m_jitter);
    form->addRow(tr("Randomization factor"), m_factor);
    // Classification overrides and the numbers of the other sections.
    m_retryable = new QLineEdit(this);
    m_retryable->setObjectName(QStringLiteral("retryableStatusCodes"));
    m_retryable->setPlaceholderText(tr("e.g. 409, 423"));
    m_nonRetryable = new QLineEdit(this);
    m_nonRetryable->setObjectName(QStringLiteral("nonRetryableStatusCodes"));
    m_nonRetryable->setPlaceholderText(tr("e.g. 502"));
    form->addRow(tr("Also retry HTTP"), m_retryable);
    form->addRow(tr("Never retry HTTP"), m_nonRetryable);
    const BreakerConfig bd;
    const BudgetConfig gd;
    const HealthConfig hd;
    struct Row
    {
        const char *section, *key;
        QString label;
        double min, max, def;
        int decimals;
        QString suffix;
    };
    const QList<Row> rows = {
        {"breaker", "failureRateThreshold", tr("Breaker: failure rate ≥"), 1, 100,
         bd.failureRateThreshold, 0, QStringLiteral(" %")},
        {"breaker", "slowCallRateThreshold", tr("Breaker: slow-call rate ≥"), 1, 100,
         bd.slowCallRateThreshold, 0, QStringLiteral(" %")},
        {"breaker", "slowCallDurationThresholdMs", tr("Breaker: slow call from"), 1, 3.6e6,
         double(bd.slowCallDurationThresholdMs), 0, tr(" ms")},
        {"breaker", "minimumNumberOfCalls", tr("Breaker: minimum calls"), 1, 1e6,
         double(bd.minimumNumberOfCalls), 0, QString()},
        {"breaker", "waitDurationInOpenMs", tr("Breaker: wait in open"), 0, 3.6e6,
         double(bd.waitDurationInOpenMs), 0, tr(" ms")},
        {"budget", "budgetPercent", tr("Retry budget"), 0, 100, gd.budgetPercent, 0,
         tr(" % of active")},
        {"budget", "minRetryConcurrency", tr("Budget: min concurrency"), 0, 1e6,
         double(gd.minRetryConcurrency), 0, QString()},
        {"health", "errorWeight", tr("Health: error weight"), 0, 100, hd.errorWeight, 2, QString()},
        {"health", "latencyWeight", tr("Health: latency weight"), 0, 100, hd.latencyWeight, 2,
         QString()},
        {"health", "timeoutWeight", tr("Health: timeout weight"), 0, 100, hd.timeoutWeight, 2,
         QString()},
        {"health", "unhealthyScore", tr("Health: deny retries at score"), 0.01, 100,
         hd.unhealthyScore, 2, QString()},
    };
    for (const Row &r : rows) {
        auto *box = new QDoubleSpinBox(this);
        box->setObjectName(
            QStringLiteral("%1.%2").arg(QLatin1String(r.section), QLatin1String(r.key)));
        box->setRange(r.min, r.max);
        box->setDecimals(r.decimals);
        box->setSuffix(r.suffix);
        box->setValue(r.def);
        form->addRow(r.label, box);
        m_fields.append({QString::fromLatin1(r.section), QString::fromLatin1(r.key), box, r.def});
    }
    auto *formBox = new QWidget(this);
    formBox->setLayout(form);

    auto *tabs = new QTabWidget(this);
    auto *editor = new QSplitter(Qt::Horizontal, this);
    editor->addWidget(formBox);
    editor->addWidget(m_json);
    auto *editTab = new QWidget(this);
    auto *editLayout = new QVBoxLayout(editTab);
    editLayout->addWidget(editor, 2);
    editLayout->addWidget(m_preview, 1);
    editLayout->addWidget(m_errors);
    tabs->addTab(editTab, tr("Edit"));
    auto *historyTab = new QSplitter(Qt::Horizontal, this);
    historyTab->addWidget(m_versions);
    historyTab->addWidget(m_diff);
    tabs->addTab(historyTab, tr("History"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *applyButton = buttons->addButton(tr("Apply"), QDialogButtonBox::ApplyRole);
    applyButton->setObjectName(QStringLiteral("applyPolicyButton"));
    auto *revert =
        buttons->addButton(tr("Revert to selected version"), QDialogButtonBox::ResetRole);
    revert->setObjectName(QStringLiteral("revertPolicyButton"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(applyButton, &QPushButton::clicked, this, &PolicyEditorDialog::apply);
    connect(revert, &QPushButton::clicked, this, [this] {
        const int row = m_versions->currentRow();
        if (row < 0)
            return;
        m_json->setPlainText(QString::fromUtf8(m_store.history().at(row).content));
        apply();
    });
    for (QSpinBox *s : {m_initial, m_cap, m_attempts, m_deadline})
        connect(s, &QSpinBox::valueChanged, this, &PolicyEditorDialog::formToJson);
    for (const Field &f : std::as_const(m_fields))
        connect(f.box, &QDoubleSpinBox::valueChanged, this, &PolicyEditorDialog::formToJson);
    for (QLineEdit *e : {m_retryable, m_nonRetryable})
        connect(e, &QLineEdit::textEdited, this, &PolicyEditorDialog::formToJson);
    for (QDoubleSpinBox *s : {m_multiplier, m_factor})
        connect(s, &QDoubleSpinBox::valueChanged, this, &PolicyEditorDialog::formToJson);
    connect(m_jitter, &QComboBox::currentIndexChanged, this, &PolicyEditorDialog::formToJson);
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
        const QJsonObject b = policies.at(i).toObject().value(QStringLiteral("backoff")).toObject();
        const BackoffConfig d;
        m_initial->setValue(
            int(b.value(QStringLiteral("initialDelayMs")).toDouble(d.initialDelayMs)));
        m_multiplier->setValue(b.value(QStringLiteral("multiplier")).toDouble(d.multiplier));
        m_cap->setValue(int(b.value(QStringLiteral("maxDelayMs")).toDouble(d.maxDelayMs)));
        m_attempts->setValue(b.value(QStringLiteral("maxAttempts")).toInt(d.maxAttempts));
        m_deadline->setValue(
            int(b.value(QStringLiteral("totalDeadlineMs")).toDouble(double(d.totalDeadlineMs))));
        m_jitter->setCurrentText(b.value(QStringLiteral("jitter")).toString(toText(d.jitter)));
        m_factor->setValue(
            b.value(QStringLiteral("randomizationFactor")).toDouble(d.randomizationFactor));
        const QJsonObject policy = policies.at(i).toObject();
        for (const Field &f : std::as_const(m_fields))
            f.box->setValue(
                policy.value(f.section).toObject().value(f.key).toDouble(f.defaultValue));
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

void PolicyEditorDialog::formToJson()
{
    if (m_syncing)
        return;
    QJsonDocument doc = QJsonDocument::fromJson(m_json->toPlainText().toUtf8());
    QJsonObject root = doc.object();
    QJsonArray policies = root.value(QStringLiteral("policies")).toArray();
    const int i = m_policy->currentIndex();
    if (i < 0 || i >= policies.size())
        return;
    QJsonObject p = policies.at(i).toObject();
    QJsonObject b = p.value(QStringLiteral("backoff")).toObject();
    b.insert(QStringLiteral("initialDelayMs"), m_initial->value());
    b.insert(QStringLiteral("multiplier"), m_multiplier->value());
    b.insert(QStringLiteral("maxDelayMs"), m_cap->value());
    b.insert(QStringLiteral("maxAttempts"), m_attempts->value());
    b.insert(QStringLiteral("totalDeadlineMs"), m_deadline->value());
    b.insert(QStringLiteral("jitter"), m_jitter->currentText());
    b.insert(QStringLiteral("randomizationFactor"), m_factor->value());
    p.insert(QStringLiteral("backoff"), b);
    for (const Field &f : std::as_const(m_fields)) {
        QJsonObject section = p.value(f.section).toObject();
        // Defaults stay implicit unless the document already spelled them out.
        if (section.contains(f.key) || f.box->value() != f.defaultValue) {
            section.insert(f.key, f.box->value());
            p.insert(f.section, section);
        }
    }
    QJsonObject cls = p.value(QStringLiteral("classification")).toObject();
    const auto parseCodes = [](const QString &text) {
        QJsonArray out;
        for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
            bool ok = false;
            const int code = part.trimmed().toInt(&ok);
            out.append(ok ? QJsonValue(code)
                          : QJsonValue(part.trimmed())); // validation names a bad entry
        }
        return out;
    };
    for (const auto &[edit, key] : {std::pair{m_retryable, "retryableStatusCodes"},
                                    std::pair{m_nonRetryable, "nonRetryableStatusCodes"}}) {
        const QJsonArray codes = parseCodes(edit->text());
        if (codes.isEmpty())
            cls.remove(QLatin1String(key));
        else
            cls.insert(QLatin1String(key), codes);
    }
    if (cls.isEmpty())
        p.remove(QStringLiteral("classification"));
    else
        p.insert(QStringLiteral("classification"), cls);
    policies.replace(i, p);
    root.insert(QStringLiteral("policies"), policies);
    m_syncing = true;
    m_json->setPlainText(QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Indented)));
    m_syncing = false;
    validate();
    updatePreview();
}

void PolicyEditorDialog::validate()
{
    const PolicyValidation v = PolicyDocument::parse(m_json->toPlainText().toUtf8());
    m_errors->setText(v.ok() ? QString() : v.errors.join(u'\n'));
}

void PolicyEditorDialog::updatePreview()
{
    // For the edited values: nominal delay per retry, the band jitter can put it in, and the
    // cumulative worst case against the deadline.
    BackoffConfig c;
    c.initialDelayMs = m_initial->value();
    c.multiplier = std::max(1.0, m_multiplier->value());
    c.maxDelayMs = std::max(m_cap->value(), m_initial->value());
    c.maxAttempts = std::min(m_attempts->value(), 200);
    c.randomizationFactor = m_factor->value();
    const QString jitter = m_jitter->currentText();
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
        double lo = d, hi = d;
        if (jitter == QLatin1String("full"))
            lo = 0;
        else if (jitter == QLatin1String("equal"))
            lo = d / 2;
        else if (jitter == QLatin1String("proportional"))
            lo = d * (1 - c.randomizationFactor), hi = d * (1 + c.randomizationFactor);
        else if (jitter == QLatin1String("decorrelated"))
            lo = c.initialDelayMs, hi = std::min(c.maxDelayMs, 3 * prevUpper), prevUpper = hi;
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
    const bool deadlineOnChart = m_deadline->value() > 0 && m_deadline->value() <= 3 * worst;
    if (m_deadline->value() > 0 && !deadlineOnChart)
        chartTitleSuffix = tr(" — deadline %1 s, beyond the worst case of %2 s")
                               .arg(m_deadline->value() / 1000.0)
                               .arg(worst / 1000.0, 0, 'f', 1);
    else if (deadlineOnChart && worst > m_deadline->value())
        chartTitleSuffix = tr(
            " — the worst case passes the deadline: later retries will stop as deadline_exceeded");
    if (deadlineOnChart) {
        auto *deadline = new QLineSeries;
        deadline->setName(tr("deadline"));
        deadline->append(1, m_deadline->value());
        deadline->append(std::max(2, c.maxAttempts - 1), m_deadline->value());
        chart->addSeries(deadline);
        maxY = std::max(maxY, double(m_deadline->value()));
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

bool PolicyEditorDialog::apply()
{
    const QByteArray doc = m_json->toPlainText().toUtf8();
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
    // A line diff against the previous version: enough to see what an edit changed.
    const QStringList now = QString::fromUtf8(history[row].content).split(u'\n');
    const QStringList before =
        row > 0 ? QString::fromUtf8(history[row - 1].content).split(u'\n') : QStringList();
    QString out = tr("v%1 by %2\n\n").arg(history[row].number).arg(history[row].source);
    for (const QString &l : before)
        if (!now.contains(l))
            out += QStringLiteral("- ") + l + u'\n';
    for (const QString &l : now)
        if (!before.contains(l))
            out += QStringLiteral("+ ") + l + u'\n';
    m_diff->setPlainText(out);
}

} // namespace rebound
