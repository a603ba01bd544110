#pragma once
// planted: guards reaching up into remote (and back: a cycle)
#include "remote/Task.h"
