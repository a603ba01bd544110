#pragma once
#include "guards/Breaker.h"
#include "time/Clock.h"
