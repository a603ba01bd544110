#include "TaskReader.h"

#include "TaskApi.h"
#include "TaskJson.h"

namespace rebound {

void TaskReader::readTask(const QString &endpoint, const QString &taskId)
{
    TaskTransport *t = m_transportOf(endpoint);
    if (!t)
        return;
    t->send(TaskApi::getTask(taskId), [this, endpoint](const ApiResponse &r) {
        if (!r.isSuccess())
            return;
        if (auto task = TaskJson::decodeTask(r.body))
            m_taskRead(endpoint, *task);
    });
}

void TaskReader::readAttempts(const QString &endpoint, const QString &taskId)
{
    TaskTransport *t = m_transportOf(endpoint);
    const QPair<QString, QString> id{endpoint, taskId};
    if (!t || m_reading.contains(id))
        return;
    m_reading.insert(id);
    t->send(TaskApi::getAttempts(taskId), [this, id](const ApiResponse &r) {
        if (!m_reading.remove(id) || !r.isSuccess())
            return; // forgotten meanwhile, or failed (the next gap asks again)
        if (auto attempts = TaskJson::decodeAttempts(r.body))
            m_attemptsRead(id.first, id.second, *attempts);
    });
}

void TaskReader::forget(const QString &endpoint, const QString &taskId)
{
    m_reading.remove({endpoint, taskId});
}

} // namespace rebound
