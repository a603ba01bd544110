#pragma once
// planted: a bare include of another folder's header
#include "Clock.h"
