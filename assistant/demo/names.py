"""Static reference data for the demo company 优选零售 (Youxuan Retail).

Everything here is plain data: the ordered store list, the product vocabulary per
category, regions, promotions, factory lines and distributors. The generator in
``generate.py`` turns it into tables. Order matters: small scales take the first
stores of ``STORES``, so the head of the list is a well-spread mix of regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

REGIONS: tuple[tuple[str, str], ...] = (
    ("华东", "East China"),
    ("华北", "North China"),
    ("华南", "South China"),
    ("华中", "Central China"),
    ("西南", "Southwest"),
    ("西北", "Northwest"),
    ("东北", "Northeast"),
)
REGION_EN: dict[str, str] = dict(REGIONS)

STORE_TYPES: tuple[str, ...] = ("旗舰店", "标准店", "社区店")
CHANNELS: tuple[str, ...] = ("门店", "线上", "小程序")
ORDER_STATUSES: tuple[str, ...] = ("已完成", "已取消", "已退款")
PAYMENT_METHODS: tuple[str, ...] = ("微信支付", "支付宝", "银行卡", "现金")
GENDERS: tuple[str, ...] = ("男", "女")
AGE_GROUPS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
MEMBER_LEVELS: tuple[str, ...] = ("普通", "银卡", "金卡", "钻石")
ACQUISITION_CHANNELS: tuple[str, ...] = ("门店", "线上", "小程序", "社交裂变")
RETURN_REASONS: tuple[str, ...] = ("质量问题", "尺码不符", "不想要了", "发错货")
COMPLAINT_CATEGORIES: tuple[str, ...] = ("商品质量", "服务态度", "物流配送", "价格争议")
PROMOTION_TYPES: tuple[str, ...] = ("满减", "折扣", "赠品")

Anchor = Literal["span", "as_of"]


@dataclass(frozen=True)
class StoreSeed:
    """One store of the fixed list; the opening date is relative to an anchor.

    ``anchor="span"``: opened ``offset_days`` after the first day of the data span
    (negative = before the span). ``anchor="as_of"``: opened ``offset_days`` after
    the as-of date D (always negative: a store that opened recently).
    """

    name: str
    name_en: str
    city: str
    city_en: str
    province: str
    region: str
    store_type: str
    area_sqm: int
    anchor: Anchor
    offset_days: int


def _s(
    name: str,
    name_en: str,
    city: str,
    city_en: str,
    province: str,
    region: str,
    store_type: str,
    area: int,
    anchor: Anchor,
    offset: int,
) -> StoreSeed:
    return StoreSeed(name, name_en, city, city_en, province, region, store_type, area, anchor, offset)


# The first 12 cover all seven regions, three Shanghai stores and three stores that
# opened within the last year before D (上海浦东, 杭州西湖, 重庆渝中).
STORES: tuple[StoreSeed, ...] = (
    _s("上海徐汇店", "Shanghai Xuhui", "上海", "Shanghai", "上海市", "华东", "旗舰店", 2800, "span", -2900),
    _s("北京朝阳店", "Beijing Chaoyang", "北京", "Beijing", "北京市", "华北", "旗舰店", 2600, "span", -2500),
    _s(
        "广州天河店", "Guangzhou Tianhe", "广州", "Guangzhou", "广东省", "华南", "旗舰店", 2400, "span", -2100
    ),
    _s("武汉江汉店", "Wuhan Jianghan", "武汉", "Wuhan", "湖北省", "华中", "标准店", 1500, "span", -1700),
    _s("成都锦江店", "Chengdu Jinjiang", "成都", "Chengdu", "四川省", "西南", "标准店", 1600, "span", -1400),
    _s("上海浦东店", "Shanghai Pudong", "上海", "Shanghai", "上海市", "华东", "标准店", 1800, "as_of", -320),
    _s("西安雁塔店", "Xi'an Yanta", "西安", "Xi'an", "陕西省", "西北", "标准店", 1400, "span", -1100),
    _s("沈阳和平店", "Shenyang Heping", "沈阳", "Shenyang", "辽宁省", "东北", "标准店", 1300, "span", -900),
    _s("深圳南山店", "Shenzhen Nanshan", "深圳", "Shenzhen", "广东省", "华南", "标准店", 1700, "span", -700),
    _s("杭州西湖店", "Hangzhou Xihu", "杭州", "Hangzhou", "浙江省", "华东", "社区店", 600, "as_of", -210),
    _s("上海静安店", "Shanghai Jing'an", "上海", "Shanghai", "上海市", "华东", "社区店", 500, "span", -450),
    _s(
        "重庆渝中店", "Chongqing Yuzhong", "重庆", "Chongqing", "重庆市", "西南", "社区店", 650, "as_of", -130
    ),
    _s("北京海淀店", "Beijing Haidian", "北京", "Beijing", "北京市", "华北", "标准店", 1500, "span", -1900),
    _s("南京鼓楼店", "Nanjing Gulou", "南京", "Nanjing", "江苏省", "华东", "标准店", 1400, "span", -1600),
    _s(
        "苏州工业园区店",
        "Suzhou Industrial Park",
        "苏州",
        "Suzhou",
        "江苏省",
        "华东",
        "旗舰店",
        2200,
        "span",
        -1300,
    ),
    _s("长沙岳麓店", "Changsha Yuelu", "长沙", "Changsha", "湖南省", "华中", "标准店", 1300, "span", 150),
    _s(
        "郑州金水店", "Zhengzhou Jinshui", "郑州", "Zhengzhou", "河南省", "华中", "标准店", 1400, "span", -800
    ),
    _s("天津和平店", "Tianjin Heping", "天津", "Tianjin", "天津市", "华北", "标准店", 1500, "span", -1200),
    _s("广州越秀店", "Guangzhou Yuexiu", "广州", "Guangzhou", "广东省", "华南", "社区店", 550, "span", -600),
    _s("昆明五华店", "Kunming Wuhua", "昆明", "Kunming", "云南省", "西南", "标准店", 1200, "span", 300),
    _s("兰州城关店", "Lanzhou Chengguan", "兰州", "Lanzhou", "甘肃省", "西北", "社区店", 600, "span", -500),
    _s(
        "哈尔滨南岗店",
        "Harbin Nangang",
        "哈尔滨",
        "Harbin",
        "黑龙江省",
        "东北",
        "标准店",
        1400,
        "span",
        -1000,
    ),
    _s(
        "长春朝阳店", "Changchun Chaoyang", "长春", "Changchun", "吉林省", "东北", "社区店", 550, "span", -400
    ),
    _s("厦门思明店", "Xiamen Siming", "厦门", "Xiamen", "福建省", "华东", "标准店", 1300, "span", -1500),
    _s(
        "南宁青秀店",
        "Nanning Qingxiu",
        "南宁",
        "Nanning",
        "广西壮族自治区",
        "华南",
        "标准店",
        1200,
        "span",
        -300,
    ),
    _s("合肥蜀山店", "Hefei Shushan", "合肥", "Hefei", "安徽省", "华东", "社区店", 500, "span", -200),
    _s("济南历下店", "Jinan Lixia", "济南", "Jinan", "山东省", "华东", "标准店", 1300, "span", -1800),
    _s("青岛市南店", "Qingdao Shinan", "青岛", "Qingdao", "山东省", "华东", "社区店", 600, "span", -650),
    _s(
        "石家庄长安店",
        "Shijiazhuang Chang'an",
        "石家庄",
        "Shijiazhuang",
        "河北省",
        "华北",
        "标准店",
        1200,
        "span",
        -950,
    ),
    _s("太原迎泽店", "Taiyuan Yingze", "太原", "Taiyuan", "山西省", "华北", "社区店", 500, "span", -350),
    _s(
        "呼和浩特新城店",
        "Hohhot Xincheng",
        "呼和浩特",
        "Hohhot",
        "内蒙古自治区",
        "华北",
        "社区店",
        520,
        "span",
        -250,
    ),
    _s("贵阳南明店", "Guiyang Nanming", "贵阳", "Guiyang", "贵州省", "西南", "社区店", 560, "span", -150),
    _s("成都高新店", "Chengdu Gaoxin", "成都", "Chengdu", "四川省", "西南", "旗舰店", 2300, "span", -2000),
    _s(
        "银川兴庆店",
        "Yinchuan Xingqing",
        "银川",
        "Yinchuan",
        "宁夏回族自治区",
        "西北",
        "社区店",
        480,
        "span",
        -100,
    ),
    _s(
        "乌鲁木齐天山店",
        "Urumqi Tianshan",
        "乌鲁木齐",
        "Urumqi",
        "新疆维吾尔自治区",
        "西北",
        "标准店",
        1100,
        "span",
        -1300,
    ),
    _s("西宁城中店", "Xining Chengzhong", "西宁", "Xining", "青海省", "西北", "社区店", 450, "span", -60),
    _s("大连中山店", "Dalian Zhongshan", "大连", "Dalian", "辽宁省", "东北", "标准店", 1250, "span", -1600),
    _s("武汉洪山店", "Wuhan Hongshan", "武汉", "Wuhan", "湖北省", "华中", "社区店", 600, "span", -550),
    _s("深圳福田店", "Shenzhen Futian", "深圳", "Shenzhen", "广东省", "华南", "旗舰店", 2100, "span", -2200),
    _s("海口龙华店", "Haikou Longhua", "海口", "Haikou", "海南省", "华南", "社区店", 520, "as_of", -60),
    _s("北京东城店", "Beijing Dongcheng", "北京", "Beijing", "北京市", "华北", "社区店", 480, "span", -700),
    _s("杭州滨江店", "Hangzhou Binjiang", "杭州", "Hangzhou", "浙江省", "华东", "标准店", 1400, "span", 200),
    _s("宁波鄞州店", "Ningbo Yinzhou", "宁波", "Ningbo", "浙江省", "华东", "标准店", 1300, "span", -850),
    _s("长沙开福店", "Changsha Kaifu", "长沙", "Changsha", "湖南省", "华中", "社区店", 500, "span", -420),
)

# Spring Festival (农历正月初一) by Gregorian year.
SPRING_FESTIVAL: dict[int, date] = {
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


def spring_festival(year: int) -> date:
    """Spring Festival date of ``year``; outside the table, a mid-range stand-in (Feb 1)."""
    return SPRING_FESTIVAL.get(year, date(year, 2, 1))


# ---------------------------------------------------------------------------- products

Spec = tuple[str, str, float]  # (zh, en, price multiplier)

SPEC_GROUPS: dict[str, tuple[Spec, ...]] = {
    "weight": (("500g", "500g", 1.0), ("1kg", "1kg", 1.9), ("2.5kg", "2.5kg", 4.4)),
    "weight_small": (("250g", "250g", 1.0), ("500g", "500g", 1.9), ("1kg", "1kg", 3.6)),
    "milk": (("250ml", "250ml", 0.3), ("1L", "1L", 1.0), ("250ml×12", "250ml x12", 3.0)),
    "cup": (("100g×4", "100g x4", 1.0), ("200g×6", "200g x6", 2.4), ("1kg", "1kg", 1.8)),
    "eggs": (("6枚装", "6-pack", 0.6), ("10枚装", "10-pack", 1.0), ("30枚装", "30-pack", 2.7)),
    "rice": (("2.5kg", "2.5kg", 0.55), ("5kg", "5kg", 1.0), ("10kg", "10kg", 1.9)),
    "drink": (("500ml", "500ml", 1.0), ("1.5L", "1.5L", 2.3), ("500ml×12", "500ml x12", 10.0)),
    "snack": (("70g", "70g", 1.0), ("150g", "150g", 1.9), ("家庭装400g", "Family 400g", 4.5)),
    "noodle_pack": (("单包", "Single", 1.0), ("5连包", "5-pack", 4.5), ("整箱24包", "Case of 24", 19.0)),
    "liquid": (("1L", "1L", 1.0), ("2L", "2L", 1.8), ("3kg", "3kg", 2.6)),
    "care": (("200ml", "200ml", 0.6), ("400ml", "400ml", 1.0), ("750ml", "750ml", 1.6)),
    "tube": (("90g", "90g", 0.7), ("120g", "120g", 1.0), ("120g×3", "120g x3", 2.7)),
    "pieces": (("单支装", "Single", 1.0), ("3支装", "3-pack", 2.6), ("6支装", "6-pack", 4.8)),
    "rolls": (("10卷", "10 rolls", 1.0), ("20卷", "20 rolls", 1.9), ("30卷", "30 rolls", 2.7)),
    "packs": (("单包", "Single", 1.0), ("3包装", "3-pack", 2.7), ("10包装", "10-pack", 8.5)),
    "model": (("标准款", "Standard", 1.0), ("升级款", "Plus", 1.3), ("旗舰款", "Pro", 1.7)),
    "size": (("M码", "M", 1.0), ("L码", "L", 1.0), ("XL码", "XL", 1.05)),
    "shoe": (("39码", "EU 39", 1.0), ("41码", "EU 41", 1.0), ("43码", "EU 43", 1.0)),
    "stage": (("1段", "Stage 1", 1.0), ("2段", "Stage 2", 0.95), ("3段", "Stage 3", 0.9)),
    "diaper": (("S码", "S", 1.0), ("M码", "M", 1.0), ("L码", "L", 1.05)),
    "bottle": (("160ml", "160ml", 0.85), ("240ml", "240ml", 1.0), ("300ml", "300ml", 1.1)),
    "baby_size": (("66码", "66cm", 1.0), ("73码", "73cm", 1.0), ("80码", "80cm", 1.05)),
}


@dataclass(frozen=True)
class Item:
    """A product family: names, base list price (CNY) and which spec group sizes it."""

    zh: str
    en: str
    base_price: float
    specs: str


@dataclass(frozen=True)
class Category:
    """A product category with its brands (private label first) and product families."""

    zh: str
    en: str
    n_products: int
    cost_ratio: tuple[float, float]  # unit_cost / list_price range for branded goods
    brands: tuple[tuple[str, str], ...]
    items: tuple[Item, ...]


PRIVATE_LABEL: tuple[str, str] = ("优选自有", "Youxuan Select")

CATEGORIES: tuple[Category, ...] = (
    Category(
        "生鲜",
        "Fresh",
        350,
        (0.68, 0.80),
        (
            PRIVATE_LABEL,
            ("绿野农场", "Greenfield Farm"),
            ("鲜丰源", "Xianfengyuan"),
            ("海之鲜", "Ocean Fresh"),
            ("田园优品", "Tianyuan Select"),
            ("北纬牧场", "North Latitude Ranch"),
        ),
        (
            Item("鲜牛奶", "Fresh Milk", 12, "milk"),
            Item("酸奶", "Yogurt", 9, "cup"),
            Item("鸡蛋", "Eggs", 15, "eggs"),
            Item("苹果", "Apples", 12, "weight"),
            Item("香蕉", "Bananas", 8, "weight"),
            Item("橙子", "Oranges", 10, "weight"),
            Item("葡萄", "Grapes", 18, "weight"),
            Item("草莓", "Strawberries", 25, "weight_small"),
            Item("西红柿", "Tomatoes", 6, "weight"),
            Item("黄瓜", "Cucumbers", 5, "weight"),
            Item("土豆", "Potatoes", 4, "weight"),
            Item("大白菜", "Napa Cabbage", 4, "weight"),
            Item("猪五花肉", "Pork Belly", 28, "weight"),
            Item("猪里脊", "Pork Tenderloin", 30, "weight"),
            Item("牛腱子", "Beef Shank", 60, "weight"),
            Item("鸡胸肉", "Chicken Breast", 18, "weight"),
            Item("鸡翅中", "Chicken Wings", 32, "weight"),
            Item("三文鱼", "Salmon", 80, "weight_small"),
            Item("基围虾", "Shrimp", 60, "weight_small"),
            Item("鲈鱼", "Sea Bass", 35, "weight"),
            Item("豆腐", "Tofu", 4, "weight_small"),
            Item("大米", "Rice", 30, "rice"),
            Item("鲜面条", "Fresh Noodles", 8, "weight"),
            Item("蘑菇", "Mushrooms", 10, "weight_small"),
            Item("西兰花", "Broccoli", 8, "weight"),
        ),
    ),
    Category(
        "饮料",
        "Beverages",
        300,
        (0.55, 0.70),
        (
            PRIVATE_LABEL,
            ("清泉", "Clear Spring"),
            ("果园时光", "Orchard Time"),
            ("茶语", "Tea Talk"),
            ("极光", "Aurora"),
            ("醇品", "Pure Brew"),
            ("山野", "Wildland"),
        ),
        (
            Item("矿泉水", "Mineral Water", 2, "drink"),
            Item("苏打水", "Soda Water", 4, "drink"),
            Item("橙汁", "Orange Juice", 6, "drink"),
            Item("苹果汁", "Apple Juice", 6, "drink"),
            Item("椰子水", "Coconut Water", 8, "drink"),
            Item("绿茶", "Green Tea", 4, "drink"),
            Item("乌龙茶", "Oolong Tea", 5, "drink"),
            Item("柠檬茶", "Lemon Tea", 5, "drink"),
            Item("可乐", "Cola", 3.5, "drink"),
            Item("运动饮料", "Sports Drink", 5, "drink"),
            Item("能量饮料", "Energy Drink", 6, "drink"),
            Item("冷萃咖啡", "Cold Brew Coffee", 9, "drink"),
            Item("拿铁咖啡", "Latte", 8, "drink"),
            Item("燕麦奶", "Oat Milk", 10, "drink"),
            Item("酸梅汤", "Sour Plum Drink", 5, "drink"),
            Item("气泡水", "Sparkling Water", 5, "drink"),
            Item("豆奶", "Soy Milk", 4, "drink"),
            Item("乳酸菌饮料", "Probiotic Drink", 6, "drink"),
        ),
    ),
    Category(
        "零食",
        "Snacks",
        400,
        (0.55, 0.70),
        (
            PRIVATE_LABEL,
            ("咔滋", "Kazi"),
            ("甜心坊", "Sweetheart Bakery"),
            ("坚果派", "Nut Party"),
            ("麦香园", "Wheat Garden"),
            ("乐享", "Joyful"),
            ("老街坊", "Old Neighbour"),
        ),
        (
            Item("薯片", "Potato Chips", 7, "snack"),
            Item("饼干", "Biscuits", 8, "snack"),
            Item("苏打饼干", "Soda Crackers", 7, "snack"),
            Item("曲奇", "Cookies", 15, "snack"),
            Item("蛋糕", "Sponge Cake", 12, "snack"),
            Item("面包", "Bread", 9, "snack"),
            Item("巧克力", "Chocolate", 15, "snack"),
            Item("混合坚果", "Mixed Nuts", 25, "snack"),
            Item("夏威夷果", "Macadamia Nuts", 30, "snack"),
            Item("牛肉干", "Beef Jerky", 28, "snack"),
            Item("辣条", "Spicy Strips", 5, "snack"),
            Item("海苔", "Seaweed Snack", 10, "snack"),
            Item("果干", "Dried Fruit", 15, "snack"),
            Item("话梅", "Preserved Plums", 9, "snack"),
            Item("瓜子", "Sunflower Seeds", 9, "snack"),
            Item("糖果", "Candy", 8, "snack"),
            Item("果冻", "Jelly", 8, "snack"),
            Item("爆米花", "Popcorn", 8, "snack"),
            Item("方便面", "Instant Noodles", 5, "noodle_pack"),
            Item("蛋卷", "Egg Rolls", 10, "snack"),
        ),
    ),
    Category(
        "日化",
        "Household",
        300,
        (0.50, 0.65),
        (
            PRIVATE_LABEL,
            ("洁净家", "CleanHome"),
            ("清风", "Breeze"),
            ("芳草集", "Herbal Garden"),
            ("白云", "White Cloud"),
            ("沐光", "Sunbath"),
        ),
        (
            Item("洗衣液", "Laundry Detergent", 30, "liquid"),
            Item("洗洁精", "Dish Soap", 12, "liquid"),
            Item("洗发水", "Shampoo", 39, "care"),
            Item("护发素", "Conditioner", 39, "care"),
            Item("沐浴露", "Body Wash", 35, "care"),
            Item("牙膏", "Toothpaste", 15, "tube"),
            Item("牙刷", "Toothbrush", 10, "pieces"),
            Item("卫生纸", "Toilet Paper", 30, "rolls"),
            Item("抽纸", "Facial Tissue", 20, "rolls"),
            Item("湿巾", "Wet Wipes", 10, "packs"),
            Item("洗手液", "Hand Soap", 18, "care"),
            Item("消毒液", "Disinfectant", 25, "liquid"),
            Item("垃圾袋", "Trash Bags", 12, "packs"),
            Item("保鲜膜", "Cling Film", 12, "pieces"),
            Item("洗衣凝珠", "Laundry Pods", 40, "packs"),
            Item("地板清洁剂", "Floor Cleaner", 25, "liquid"),
            Item("香皂", "Bar Soap", 8, "pieces"),
            Item("面霜", "Face Cream", 89, "tube"),
        ),
    ),
    Category(
        "家电",
        "Appliances",
        150,
        (0.70, 0.82),
        (
            PRIVATE_LABEL,
            ("美家", "Meijia"),
            ("智选", "SmartPick"),
            ("格润", "Gerun"),
            ("小熊猫", "Little Panda"),
            ("海岳", "Haiyue"),
        ),
        (
            Item("电饭煲", "Rice Cooker", 299, "model"),
            Item("电水壶", "Electric Kettle", 99, "model"),
            Item("空气炸锅", "Air Fryer", 329, "model"),
            Item("微波炉", "Microwave Oven", 499, "model"),
            Item("豆浆机", "Soymilk Maker", 359, "model"),
            Item("榨汁机", "Juicer", 199, "model"),
            Item("吸尘器", "Vacuum Cleaner", 899, "model"),
            Item("扫地机器人", "Robot Vacuum", 1999, "model"),
            Item("电风扇", "Electric Fan", 199, "model"),
            Item("空气净化器", "Air Purifier", 1299, "model"),
            Item("电吹风", "Hair Dryer", 159, "model"),
            Item("加湿器", "Humidifier", 149, "model"),
            Item("电磁炉", "Induction Cooker", 249, "model"),
            Item("净水器", "Water Purifier", 1599, "model"),
        ),
    ),
    Category(
        "服饰",
        "Apparel",
        250,
        (0.40, 0.55),
        (
            PRIVATE_LABEL,
            ("简衣", "Simple Wear"),
            ("城市风", "Urban Breeze"),
            ("棉小镇", "Cotton Town"),
            ("动感", "Motion"),
            ("暖阳", "Warm Sun"),
        ),
        (
            Item("纯棉T恤", "Cotton T-shirt", 59, "size"),
            Item("POLO衫", "Polo Shirt", 99, "size"),
            Item("衬衫", "Shirt", 129, "size"),
            Item("卫衣", "Hoodie", 159, "size"),
            Item("牛仔裤", "Jeans", 199, "size"),
            Item("休闲裤", "Casual Pants", 149, "size"),
            Item("运动裤", "Track Pants", 119, "size"),
            Item("羽绒服", "Down Jacket", 499, "size"),
            Item("夹克", "Jacket", 299, "size"),
            Item("连衣裙", "Dress", 229, "size"),
            Item("针织衫", "Knit Sweater", 179, "size"),
            Item("袜子", "Socks", 29, "size"),
            Item("内衣套装", "Underwear Set", 79, "size"),
            Item("睡衣", "Pajamas", 129, "size"),
            Item("运动鞋", "Sneakers", 299, "shoe"),
        ),
    ),
    Category(
        "母婴",
        "Baby",
        250,
        (0.55, 0.70),
        (
            PRIVATE_LABEL,
            ("贝贝爱", "Beibei Love"),
            ("小星星", "Little Star"),
            ("宝贝计划", "Baby Plan"),
            ("安心妈妈", "Caring Mom"),
            ("童乐", "Kiddo Joy"),
        ),
        (
            Item("婴儿奶粉", "Infant Formula", 199, "stage"),
            Item("纸尿裤", "Diapers", 99, "diaper"),
            Item("拉拉裤", "Pull-ups", 109, "diaper"),
            Item("婴儿湿巾", "Baby Wipes", 29, "packs"),
            Item("婴儿米粉", "Baby Rice Cereal", 49, "stage"),
            Item("奶瓶", "Baby Bottle", 69, "bottle"),
            Item("婴儿洗护套装", "Baby Bath Set", 89, "model"),
            Item("儿童牙膏", "Kids Toothpaste", 19, "tube"),
            Item("婴儿连体衣", "Baby Romper", 79, "baby_size"),
            Item("儿童推车", "Stroller", 899, "model"),
            Item("安全座椅", "Car Seat", 1299, "model"),
            Item("益智玩具", "Educational Toy", 99, "model"),
            Item("儿童水杯", "Kids Water Bottle", 59, "bottle"),
            Item("婴儿辅食泥", "Baby Food Puree", 15, "packs"),
        ),
    ),
)

# ---------------------------------------------------------------------------- promotions


@dataclass(frozen=True)
class PromotionKind:
    """A recurring promotion; the generator places one occurrence per year (or month)."""

    key: str
    zh: str
    en: str
    promotion_type: str
    priority: int  # higher wins when windows overlap
    use_store: float  # probability an in-window store order uses it
    use_online: float  # probability an in-window online order uses it
    base_cost: float  # fixed marketing spend at scale 1 (CNY)


PROMOTION_KINDS: dict[str, PromotionKind] = {
    k.key: k
    for k in (
        PromotionKind("member_day", "会员日", "Member Day", "折扣", 1, 0.30, 0.30, 12_000),
        PromotionKind(
            "new_year_goods", "年货节", "Spring Festival Shopping Fair", "赠品", 3, 0.35, 0.35, 150_000
        ),
        PromotionKind("womens_day", "38女神节", "Women's Day Sale", "折扣", 2, 0.25, 0.30, 50_000),
        PromotionKind("mid_year", "618年中大促", "618 Mid-year Sale", "满减", 4, 0.30, 0.60, 250_000),
        PromotionKind(
            "national_day", "国庆黄金周", "National Day Golden Week", "折扣", 2, 0.30, 0.15, 60_000
        ),
        PromotionKind("double_11", "双11狂欢节", "Double 11 Festival", "满减", 4, 0.30, 0.60, 300_000),
        PromotionKind("double_12", "双12年终盛典", "Double 12 Year-end Sale", "满减", 3, 0.25, 0.45, 80_000),
    )
}

# ---------------------------------------------------------------------------- factory


@dataclass(frozen=True)
class LineSeed:
    """A production line of the private-label food factory."""

    name: str
    name_en: str
    plant: str
    plant_en: str
    workshop: str
    workshop_en: str
    machines: tuple[str, ...]
    planned_minutes: int  # per machine per weekday
    # (category, item) families the line makes, all under the private label.
    makes: tuple[tuple[str, str], ...]


_BAKERY = ("和面机", "成型机", "烤炉", "冷却线")
_BEVERAGE = ("调配罐", "灌装机", "封盖机", "贴标机", "装箱机")
_PACKING = ("分拣机", "包装机", "封箱机")

LINES: tuple[LineSeed, ...] = (
    LineSeed(
        "一号线",
        "Line 1",
        "苏州工厂",
        "Suzhou Plant",
        "烘焙车间",
        "Bakery Workshop",
        _BAKERY,
        960,
        (("零食", "饼干"), ("零食", "曲奇"), ("零食", "苏打饼干")),
    ),
    LineSeed(
        "二号线",
        "Line 2",
        "苏州工厂",
        "Suzhou Plant",
        "饮料车间",
        "Beverage Workshop",
        _BEVERAGE,
        1440,
        (("饮料", "矿泉水"), ("饮料", "绿茶"), ("饮料", "柠檬茶")),
    ),
    LineSeed(
        "三号线",
        "Line 3",
        "苏州工厂",
        "Suzhou Plant",
        "包装车间",
        "Packing Workshop",
        _PACKING,
        960,
        (("零食", "混合坚果"), ("零食", "果干"), ("生鲜", "大米")),
    ),
    LineSeed(
        "四号线",
        "Line 4",
        "成都工厂",
        "Chengdu Plant",
        "烘焙车间",
        "Bakery Workshop",
        _BAKERY[:3],
        960,
        (("零食", "蛋糕"), ("零食", "面包"), ("零食", "蛋卷")),
    ),
    LineSeed(
        "五号线",
        "Line 5",
        "成都工厂",
        "Chengdu Plant",
        "饮料车间",
        "Beverage Workshop",
        _BEVERAGE[:4],
        1440,
        (("饮料", "酸梅汤"), ("饮料", "豆奶"), ("饮料", "苏打水")),
    ),
    LineSeed(
        "六号线",
        "Line 6",
        "成都工厂",
        "Chengdu Plant",
        "包装车间",
        "Packing Workshop",
        _PACKING,
        960,
        (("零食", "瓜子"), ("零食", "海苔"), ("零食", "辣条")),
    ),
)

DISTRIBUTORS: tuple[str, ...] = (
    "上海恒信商贸有限公司",
    "杭州禾丰供应链有限公司",
    "南京康达食品贸易有限公司",
    "北京京丰商贸有限公司",
    "广州粤通供应链有限公司",
    "深圳鹏程贸易有限公司",
    "武汉楚天商贸有限公司",
    "成都蜀汇商贸有限公司",
    "重庆渝达食品有限公司",
    "西安秦源食品配送有限公司",
)

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """Chinese numeral for 1..99 (二, 十, 十二, 二十三)."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_number supports 1..99, got {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")
