"""The demo county (演示县): deterministic, believable data for trying the platform.

``plan(seed)`` is pure: it returns everything the demo consists of (regions, departments, halls and windows, staff
and their posts, items with their published versions). ``build(seed)`` writes the plan idempotently — rows that
already exist (by their natural key: code, username, name) are left alone — and returns the demo logins.
Other apps add their own demo data (cases, feedback) from their own modules on top of this.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from xiaoneng.catalog.models import (
    Fee,
    HandlingType,
    Item,
    ItemVersion,
    LimitUnit,
    Material,
    Step,
    VersionStatus,
)
from xiaoneng.catalog.services import default_steps
from xiaoneng.catalog.validation import FeeSpec, StepSpec, VersionSpec, validate_version
from xiaoneng.org.models import (
    Department,
    DepartmentKind,
    Hall,
    HallLevel,
    Post,
    PostAssignment,
    Region,
    RegionLevel,
    User,
    UserKind,
    Window,
)

DEFAULT_SEED = 20261122
ADMIN_PASSWORD = "Xn-admin-2026"
DEMO_PASSWORD = "Demo-2026!"

PROVINCE_CODE, CITY_CODE, COUNTY_CODE = "330000000000", "330100000000", "330122000000"
COUNTY_NAME = "示范县"
COUNTY_HALL = "示范县行政服务中心"
OFFICE_HOURS = "工作日 上午 8:30—12:00，下午 14:00—17:30"
SERVICE_CENTRE, SUPERVISION = "XZFW", "JWJW"
DEPT_ADMIN_GROUP = "部门管理员（后台）"

# township code, name, hall-name prefix, department code, villages (code, name, village-committee department code)
TOWNSHIPS = [
    ("330122100000", "城关镇", "CGZ", [("330122100001", "城南社区", ""), ("330122100201", "东村", "DCCW"),
                                     ("330122100202", "西村", "")]),
    ("330122101000", "青山镇", "QSZ", [("330122101201", "青山村", "QSCW"), ("330122101202", "竹坞村", "")]),
    ("330122200000", "河口乡", "HKX", [("330122200201", "河口村", "HKCW"), ("330122200202", "渡头村", ""),
                                     ("330122200203", "沙洲村", "")]),
]

# code, name, short name (county agencies, in the order of their hall windows)
AGENCIES = [
    ("FGJ", "示范县发展和改革局", "发改局"),
    ("JYJ", "示范县教育局", "教育局"),
    ("GAJ", "示范县公安局", "公安局"),
    ("MZJ", "示范县民政局", "民政局"),
    ("SFJ", "示范县司法局", "司法局"),
    ("CZJ", "示范县财政局", "财政局"),
    ("RSJ", "示范县人力资源和社会保障局", "人社局"),
    ("ZRJ", "示范县自然资源和规划局", "自然资源局"),
    ("STJ", "示范市生态环境局示范分局", "生态环境分局"),
    ("ZJJ", "示范县住房和城乡建设局", "住建局"),
    ("JTJ", "示范县交通运输局", "交通局"),
    ("SLJ", "示范县水利局", "水利局"),
    ("NYJ", "示范县农业农村局", "农业农村局"),
    ("SHWJ", "示范县商务局", "商务局"),
    ("WGLTJ", "示范县文化和广电旅游体育局", "文广旅体局"),
    ("WJJ", "示范县卫生健康局", "卫健局"),
    ("YJJ", "示范县应急管理局", "应急管理局"),
    ("SCJ", "示范县市场监督管理局", "市场监管局"),
    ("YBJ", "示范县医疗保障局", "医保局"),
    ("LYJ", "示范县林业局", "林业局"),
    ("SWJ", "国家税务总局示范县税务局", "税务局"),
    ("TJJ", "示范县统计局", "统计局"),
    ("RFB", "示范县人民防空办公室", "人防办"),
    ("QXJ", "示范县气象局", "气象局"),
    ("YCJ", "示范县烟草专卖局", "烟草专卖局"),
]

TYPE_ABBR = {"01": "XK", "02": "CF", "03": "QZ", "04": "ZS", "05": "JF", "06": "JC", "07": "QR", "08": "JL",
             "09": "CJ", "10": "QT", "20": "GG"}

XKF = "《中华人民共和国行政许可法》"
REAL_ESTATE_FEE = [("BDCDJ", "不动产登记费（住宅类）", "80",
                    "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）"),
                   ("GBF", "不动产权属证书工本费（第二本起）", "10",
                    "发改价格规〔2016〕2559号")]
ID_CARD_FEE = [("SFZGBF", "居民身份证工本费", "20", "《关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）")]

# dept, type, handling, name, statutory, promised, legal basis, materials ("|"), fees, life event, unit
JB, P, R, J = HandlingType.INSTANT, HandlingType.PROMISED, HandlingType.REPORT, HandlingType.JOINT
W, N = LimitUnit.WORKDAY, LimitUnit.NATURAL_DAY
ITEMS: list[tuple] = [
    ("SCJ", "01", P, "食品经营许可", 20, 10, "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
     "食品经营许可申请书|营业执照复印件|法定代表人（负责人）身份证明|食品安全管理制度文本|经营场所和设备布局、操作流程示意图",
     None, "开店"),
    ("SCJ", "01", P, "食品生产许可", 20, 12, "《中华人民共和国食品安全法》第三十五条；《食品生产许可管理办法》第二十四条",
     "食品生产许可申请书|食品生产设备布局图和工艺流程图|食品生产主要设备、设施清单|食品安全管理制度", None, "开店"),
    ("SCJ", "01", P, "药品零售企业许可", 30, 15, "《中华人民共和国药品管理法》第五十二条、第五十三条；《药品经营许可证管理办法》",
     "药品经营许可证申请表|执业药师注册证|营业场所、仓库平面布置图|质量管理文件目录", None, "开店"),
    ("SCJ", "01", JB, "个体工商户设立登记", 3, 0, "《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条",
     "个体工商户登记（备案）申请书|经营者身份证明|经营场所使用证明", None, "开店"),
    ("SCJ", "01", J, "企业开办（设立登记、印章刻制、发票申领）", 3, 2,
     "《中华人民共和国市场主体登记管理条例》第十九条；《国务院办公厅关于进一步优化营商环境降低市场主体制度性交易成本的意见》",
     "公司登记（备案）申请书|公司章程|股东主体资格证明|法定代表人、董事、监事和经理的任职文件|住所使用证明", None, "开店"),
    ("SCJ", "01", P, "特种设备使用登记", 30, 15, "《中华人民共和国特种设备安全法》第三十三条；《特种设备使用管理规则》",
     "特种设备使用登记表|产品合格证|监督检验证明|安装改造修理告知书", None, ""),
    ("ZJJ", "01", P, "建筑工程施工许可证核发", 7, 3, "《中华人民共和国建筑法》第七条、第八条；《建筑工程施工许可管理办法》",
     "建筑工程施工许可申请表|建设工程规划许可证|施工合同|监理合同|质量安全监督手续", None, "建房"),
    ("ZJJ", "01", P, "建设工程消防设计审查", 15, 10, "《中华人民共和国消防法》第十一条；《建设工程消防设计审查验收管理暂行规定》",
     "消防设计审查申请表|消防设计文件|依法需批准的临时性建筑证明文件", None, "建房"),
    ("ZJJ", "01", P, "建设工程消防验收", 15, 10, "《中华人民共和国消防法》第十三条；《建设工程消防设计审查验收管理暂行规定》",
     "消防验收申请表|工程竣工验收报告|涉及消防的建设工程竣工图纸", None, "建房"),
    ("ZJJ", "01", P, "商品房预售许可", 10, 5, "《中华人民共和国城市房地产管理法》第四十五条；《城市商品房预售管理办法》第七条",
     "商品房预售许可申请表|土地使用权证明|建设工程规划许可证|施工许可证|预售方案", None, "建房"),
    ("ZJJ", "01", P, "燃气经营许可证核发", 20, 10, "《城镇燃气管理条例》第十五条；《燃气经营许可管理办法》",
     "燃气经营许可申请书|企业章程|安全管理制度|从业人员培训合格证明", None, ""),
    ("ZJJ", "01", P, "城镇污水排入排水管网许可", 15, 7, "《城镇排水与污水处理条例》第二十一条；《城镇污水排入排水管网许可管理办法》",
     "排水许可申请表|排水户内部排水管网、专用检测井等平面图|排水水质检测报告", None, ""),
    ("ZJJ", "10", J, "建设工程竣工联合验收", 20, 12,
     "《国务院办公厅关于全面开展工程建设项目审批制度改革的实施意见》（国办发〔2019〕11号）；《建设工程质量管理条例》第四十九条",
     "联合验收申请表|工程竣工验收报告|竣工图纸|规划核实测量成果|人防工程竣工资料", None, "建房"),
    ("ZRJ", "01", P, "建设工程规划许可证核发", 20, 10, "《中华人民共和国城乡规划法》第四十条",
     "建设工程规划许可申请表|使用土地的有关证明文件|建设工程设计方案|建设用地规划许可证", None, "建房"),
    ("ZRJ", "01", P, "建设用地规划许可证核发", 20, 10, "《中华人民共和国城乡规划法》第三十七条、第三十八条",
     "建设用地规划许可申请表|建设项目批准、核准或备案文件|国有土地使用权出让合同", None, "建房"),
    ("ZRJ", "01", P, "建设项目用地预审与选址意见书核发", 20, 15, "《中华人民共和国土地管理法》第五十二条；《中华人民共和国城乡规划法》第三十六条",
     "用地预审与选址申请表|建设项目用地边界拐点坐标表|项目建设依据", None, ""),
    ("ZRJ", "07", P, "不动产首次登记", 30, 5, "《不动产登记暂行条例》第二十条；《不动产登记暂行条例实施细则》",
     "不动产登记申请书|申请人身份证明|土地权属来源证明|建设工程竣工验收材料|房屋测绘报告", REAL_ESTATE_FEE, "购房"),
    ("ZRJ", "07", P, "不动产转移登记", 30, 3, "《不动产登记暂行条例》第十四条、第二十条",
     "不动产登记申请书|申请人身份证明|不动产权属证书|买卖合同|完税凭证", REAL_ESTATE_FEE, "购房"),
    ("ZRJ", "07", J, "二手房转移登记及缴税“一件事”", 30, 3,
     "《不动产登记暂行条例》第二十条；《国家税务总局 自然资源部关于进一步深化信息共享便利不动产登记和办税的通知》",
     "不动产登记申请书|买卖双方身份证明|不动产权属证书|存量房买卖合同", REAL_ESTATE_FEE[:1], "购房"),
    ("STJ", "01", P, "建设项目环境影响报告表审批", 30, 15, "《中华人民共和国环境影响评价法》第二十二条",
     "建设项目环境影响报告表|审批申请函|建设单位承诺书", None, ""),
    ("STJ", "01", P, "建设项目环境影响报告书审批", 60, 30, "《中华人民共和国环境影响评价法》第二十二条",
     "建设项目环境影响报告书|审批申请函|公众参与说明", None, ""),
    ("STJ", "01", P, "排污许可证核发", 20, 10, "《排污许可管理条例》第十三条", "排污许可证申请表|自行监测方案|守法承诺书", None, ""),
    ("JTJ", "01", P, "道路旅客运输经营许可", 20, 10, "《中华人民共和国道路运输条例》第十条、第十一条",
     "道路旅客运输经营申请表|企业章程|安全生产管理制度|拟投入车辆承诺书", None, ""),
    ("JTJ", "01", P, "道路货物运输经营许可", 20, 5, "《中华人民共和国道路运输条例》第二十四条",
     "道路货物运输经营申请表|负责人身份证明|机动车辆行驶证|驾驶人员从业资格证", None, ""),
    ("JTJ", "01", P, "网络预约出租汽车经营许可", 20, 10, "《网络预约出租汽车经营服务管理暂行办法》第五条、第七条",
     "网络预约出租汽车经营申请表|投资人、负责人身份证明|服务所在地办公场所证明", None, ""),
    ("SLJ", "01", P, "取水许可", 45, 20, "《中华人民共和国水法》第四十八条；《取水许可和水资源费征收管理条例》第二十条",
     "取水许可申请书|建设项目水资源论证报告|与第三者利害关系的相关说明", None, ""),
    ("SLJ", "01", P, "河道管理范围内建设项目工程建设方案审批", 20, 10, "《中华人民共和国水法》第三十八条；《中华人民共和国河道管理条例》第十一条",
     "申请书|建设项目防洪评价报告|工程设计文件", None, ""),
    ("SLJ", "01", P, "生产建设项目水土保持方案审批", 20, 10, "《中华人民共和国水土保持法》第二十五条",
     "水土保持方案审批申请|水土保持方案报告书", None, ""),
    ("MZJ", "01", P, "社会团体成立登记", 60, 30, "《社会团体登记管理条例》第十一条、第十二条",
     "社会团体成立登记申请书|业务主管单位批准文件|验资报告|章程草案|负责人身份证明", None, ""),
    ("MZJ", "01", P, "民办非企业单位登记", 60, 30, "《民办非企业单位登记管理暂行条例》第九条、第十条",
     "登记申请书|业务主管单位审查同意文件|场所使用权证明|验资报告|章程草案", None, ""),
    ("MZJ", "05", P, "最低生活保障审批", 30, 20, "《社会救助暂行办法》第九条至第十一条；《浙江省最低生活保障办法》",
     "最低生活保障申请书|家庭成员身份证明|家庭经济状况核对授权书", None, "社会救助"),
    ("MZJ", "07", JB, "内地居民结婚登记", 0, 0, "《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第七条",
     "居民身份证|居民户口簿|本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明", None, "婚育"),
    ("MZJ", "05", P, "特困人员救助供养审批", 30, 20, "《社会救助暂行办法》第十六条；《特困人员认定办法》",
     "特困人员救助供养申请书|身份证明|劳动能力、生活自理能力证明", None, "社会救助"),
    ("GAJ", "07", P, "户口迁移", 20, 5, "《中华人民共和国户口登记条例》第十条、第十三条",
     "户口迁移申请表|居民户口簿|居民身份证|迁入地住所证明", None, "落户"),
    ("GAJ", "20", P, "居民身份证申领", 60, 15, "《中华人民共和国居民身份证法》第八条、第十条",
     "居民户口簿|本人近期免冠照片（现场采集）", ID_CARD_FEE, "落户", N),
    ("GAJ", "10", JB, "公章刻制备案", 1, 0, "《国务院对确需保留的行政审批项目设定行政许可的决定》；《印铸刻字业暨寄存物品业管理规则》",
     "营业执照|法定代表人身份证明|经办人身份证明", None, "开店"),
    ("GAJ", "01", P, "旅馆业特种行业许可证核发", 20, 10, "《旅馆业治安管理办法》第四条；《国务院对确需保留的行政审批项目设定行政许可的决定》",
     "旅馆业特种行业许可申请表|营业场所产权或租赁证明|消防安全检查合格证明|治安保卫制度", None, "开店"),
    ("JYJ", "01", P, "民办学校设立审批（实施学前教育）", 90, 60, "《中华人民共和国民办教育促进法》第十二条、第十八条",
     "设立申请报告|举办者资格证明|资产来源、资金数额及有效证明文件|校舍和教学设施证明|章程", None, "", N),
    ("JYJ", "07", P, "教师资格认定", 30, 20, "《中华人民共和国教师法》第十三条；《教师资格条例》第十三条",
     "教师资格认定申请表|身份证明|学历证书|普通话水平测试等级证书|体检合格证明", None, ""),
    ("JYJ", "01", P, "校车使用许可", 20, 10, "《校车安全管理条例》第十四条、第十五条",
     "校车使用许可申请表|机动车行驶证|校车驾驶人资格证明|校车安全管理制度", None, ""),
    ("WJJ", "01", P, "医疗机构执业登记", 45, 20, "《医疗机构管理条例》第十四条、第十五条",
     "医疗机构执业登记申请书|医疗机构用房产权证明或使用证明|医疗机构建筑设计平面图|验资证明|规章制度", None, ""),
    ("WJJ", "01", P, "公共场所卫生许可", 20, 5, "《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》第二十二条",
     "卫生许可申请表|营业执照|公共场所卫生检测或评价报告|卫生管理制度", None, "开店"),
    ("WJJ", "01", P, "医师执业注册", 20, 10, "《中华人民共和国医师法》第十三条、第十四条",
     "医师执业注册申请审核表|医师资格证书|健康证明|聘用单位证明", None, ""),
    ("WJJ", "01", P, "饮用水供水单位卫生许可", 20, 10, "《中华人民共和国传染病防治法》第二十九条；《生活饮用水卫生监督管理办法》",
     "卫生许可申请书|供水设施平面图|水质检测报告|从业人员健康证明", None, ""),
    ("RSJ", "01", P, "劳务派遣经营许可", 20, 10, "《中华人民共和国劳动合同法》第五十七条；《劳务派遣行政许可实施办法》",
     "劳务派遣经营许可申请书|营业执照|经营场所使用证明|劳务派遣管理制度", None, ""),
    ("RSJ", "20", P, "企业职工基本养老保险待遇申领", 15, 10, "《中华人民共和国社会保险法》第十六条",
     "养老保险待遇申领表|居民身份证|本人银行账户", None, "退休"),
    ("RSJ", "05", P, "失业保险金申领", 10, 3, "《中华人民共和国社会保险法》第四十五条；《失业保险条例》",
     "失业保险金申领登记表|居民身份证|终止或解除劳动合同证明", None, "就业"),
    ("RSJ", "20", JB, "就业创业证申领", 1, 0, "《就业服务与就业管理规定》第六十三条", "居民身份证|近期免冠照片", None, "就业"),
    ("WGLTJ", "01", P, "娱乐场所经营许可", 20, 10, "《娱乐场所管理条例》第九条、第十一条",
     "娱乐场所经营许可申请表|营业执照|投资人、法定代表人身份证明|消防安全检查合格证明|经营场所平面示意图", None, "开店"),
    ("WGLTJ", "01", P, "互联网上网服务营业场所经营许可", 20, 10, "《互联网上网服务营业场所管理条例》第十一条",
     "申请表|营业执照|经营场所产权证明|信息网络安全审核意见", None, "开店"),
    ("WGLTJ", "01", P, "营业性演出审批", 3, 2, "《营业性演出管理条例》第十三条", "营业性演出申请表|演出节目内容|演员名单|演出场所合同", None, ""),
    ("WGLTJ", "01", P, "高危险性体育项目经营许可", 30, 15, "《全民健身条例》第三十二条；《经营高危险性体育项目许可管理办法》",
     "高危险性体育项目经营申请书|体育设施符合国家标准的说明|社会体育指导人员和救助人员职业资格证明", None, ""),
    ("YJJ", "01", P, "烟花爆竹经营（零售）许可证核发", 20, 10, "《烟花爆竹安全管理条例》第十八条、第十九条",
     "零售许可申请书|零售点及周围安全条件说明|主要负责人安全培训合格证明", None, ""),
    ("YJJ", "01", P, "危险化学品经营许可证核发（不带储存）", 30, 15, "《危险化学品安全管理条例》第三十三条、第三十五条",
     "经营许可证申请书|经营场所产权或租赁证明|安全生产管理制度|主要负责人和安全管理人员培训合格证明", None, ""),
    ("YJJ", "10", JB, "生产经营单位生产安全事故应急预案备案", 3, 0, "《生产安全事故应急条例》第七条；《生产安全事故应急预案管理办法》第二十六条",
     "应急预案备案申报表|应急预案评审意见|应急预案文本", None, ""),
    ("NYJ", "01", P, "农药经营许可", 20, 10, "《农药管理条例》第二十四条、第二十五条",
     "农药经营许可证申请表|营业执照|经营人员农药培训证明|经营场所和仓储场所证明", None, ""),
    ("NYJ", "01", P, "兽药经营许可证核发", 30, 15, "《兽药管理条例》第二十二条", "兽药经营许可证申请表|兽医专业人员证明|经营场所证明|质量管理制度",
     None, ""),
    ("NYJ", "01", P, "动物防疫条件合格证核发", 20, 10, "《中华人民共和国动物防疫法》第二十五条；《动物防疫条件审查办法》",
     "动物防疫条件审查申请表|场所地理位置图|防疫制度文本", None, ""),
    ("LYJ", "01", P, "林木采伐许可证核发", 20, 5, "《中华人民共和国森林法》第五十六条、第五十七条",
     "林木采伐申请书|林木权属证明|伐区调查设计文件", None, ""),
    ("LYJ", "01", P, "使用林地审核", 20, 15, "《中华人民共和国森林法》第三十七条；《中华人民共和国森林法实施条例》第十六条",
     "使用林地申请表|建设项目批准文件|林地补偿协议|使用林地现状调查表", None, ""),
    ("FGJ", "01", P, "企业投资项目核准", 20, 10, "《企业投资项目核准和备案管理条例》第六条、第十一条",
     "项目申请报告|城乡规划行政主管部门出具的选址意见书|国土资源行政主管部门出具的用地预审意见", None, ""),
    ("FGJ", "10", JB, "企业投资项目备案", 2, 0, "《企业投资项目核准和备案管理条例》第十三条", "项目备案信息表", None, ""),
    ("FGJ", "01", P, "固定资产投资项目节能审查", 20, 10, "《中华人民共和国节约能源法》第十五条；《固定资产投资项目节能审查办法》",
     "节能审查申请|节能报告", None, ""),
    ("SFJ", "05", P, "法律援助申请审批", 7, 3, "《中华人民共和国法律援助法》第四十一条、第四十三条",
     "法律援助申请表|身份证明|经济困难状况说明表|与所申请法律援助事项有关的材料", None, ""),
    ("CZJ", "01", P, "代理记账机构设立审批", 10, 5, "《中华人民共和国会计法》第三十六条；《代理记账管理办法》第三条",
     "代理记账资格申请表|营业执照|专职从业人员身份证明和会计资格证明|主管代理记账业务的负责人具备会计师以上专业技术职务资格的证明", None,
     ""),
    ("SWJ", "10", JB, "发票领用", 1, 0, "《中华人民共和国发票管理办法》第十五条", "发票领用表|经办人身份证明", None, "开店"),
    ("SWJ", "20", JB, "开具税收完税证明", 1, 0, "《税收票证管理办法》第十九条", "居民身份证或纳税人识别号", None, ""),
    ("SWJ", "10", P, "增值税一般纳税人登记", 5, 2, "《增值税一般纳税人登记管理办法》第五条", "增值税一般纳税人登记表|经办人身份证明", None, ""),
    ("SHWJ", "10", P, "单用途商业预付卡发卡企业备案", 20, 5, "《单用途商业预付卡管理办法（试行）》第七条",
     "单用途卡发卡企业备案表|营业执照|资金存管协议", None, ""),
    ("SHWJ", "10", JB, "再生资源回收经营者备案", 5, 0, "《再生资源回收管理办法》第七条", "再生资源回收经营者备案登记表|营业执照", None, ""),
    ("YBJ", "20", P, "定点医药机构申请受理", 30, 15, "《医疗保障基金使用监督管理条例》；《医疗机构医疗保障定点管理暂行办法》第十二条",
     "定点医药机构申请表|执业许可证|医保管理制度|信息系统建设情况说明", None, ""),
    ("YBJ", "20", JB, "异地就医备案", 1, 0, "《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》",
     "异地就医备案表|居民身份证或医保电子凭证", None, ""),
    ("YBJ", "05", P, "医疗费用手工（零星）报销", 20, 10, "《中华人民共和国社会保险法》第二十八条、第二十九条",
     "医疗费用发票|费用明细清单|出院小结|本人银行账户", None, ""),
    ("TJJ", "01", P, "统计调查项目审批", 20, 10, "《中华人民共和国统计法》第十二条、第十七条",
     "统计调查项目审批申请表|统计调查制度|调查表式", None, ""),
    ("RFB", "01", P, "结合民用建筑修建防空地下室审批", 20, 10, "《中华人民共和国人民防空法》第二十二条",
     "人防工程建设审批申请表|建设工程规划许可证|防空地下室施工图设计文件", None, "建房"),
    ("QXJ", "01", P, "雷电防护装置设计审核", 20, 10, "《中华人民共和国气象法》第三十一条；《气象灾害防御条例》第二十三条",
     "设计审核申请书|设计单位资质证|设计说明书和图纸", None, ""),
    ("QXJ", "01", P, "雷电防护装置竣工验收", 20, 10, "《气象灾害防御条例》第二十三条；《雷电防护装置设计审核和竣工验收规定》",
     "竣工验收申请书|竣工图纸|防雷检测报告", None, ""),
    ("YCJ", "01", P, "烟草专卖零售许可证核发", 20, 10, "《中华人民共和国烟草专卖法》第十六条；《中华人民共和国烟草专卖法实施条例》第十二条",
     "烟草专卖零售许可证申请表|经营场所证明|经营者身份证明", None, "开店"),
]

# items every township government handles (dept code filled per township)
TOWNSHIP_ITEMS: list[tuple] = [
    ("01", R, "乡村建设规划许可证（受理上报）", 20, 15, "《中华人民共和国城乡规划法》第四十一条",
     "乡村建设规划许可申请表|宅基地批准文件|建房设计图或通用图", None, "建房", "ZRJ"),
    ("01", P, "农村村民宅基地审批", 20, 15, "《中华人民共和国土地管理法》第六十二条；《浙江省土地管理条例》",
     "农村宅基地和建房（规划许可）申请表|农村宅基地使用承诺书|户口簿|村民小组意见", None, "建房", ""),
    ("05", R, "最低生活保障申请受理（报县民政局审批）", 30, 20, "《社会救助暂行办法》第十一条",
     "最低生活保障申请书|家庭成员身份证明|家庭经济状况核对授权书", None, "社会救助", "MZJ"),
    ("20", JB, "生育登记服务", 1, 0, "《中华人民共和国人口与计划生育法》；《浙江省人口与计划生育条例》",
     "夫妻双方居民身份证|结婚证", None, "婚育", ""),
]

# joint items: their process, with co-department steps in a parallel group
JOINT_STEPS = {
    "企业开办（设立登记、印章刻制、发票申领）": [
        StepSpec("accept", "受理", Post.ACCEPTOR, 0),
        StepSpec("register", "登记审核", Post.REVIEWER1, 1, "P1"),
        StepSpec("seal", "印章刻制备案", Post.REVIEWER1, 1, "P1", "GAJ"),
        StepSpec("invoice", "发票申领", Post.REVIEWER1, 1, "P1", "SWJ"),
        StepSpec("decide", "核准发照", Post.DECIDER, 1),
    ],
    "建设工程竣工联合验收": [
        StepSpec("accept", "受理", Post.ACCEPTOR, 1),
        StepSpec("fire", "消防验收", Post.REVIEWER1, 8, "P1"),
        StepSpec("planning", "规划条件核实", Post.REVIEWER1, 8, "P1", "ZRJ"),
        StepSpec("civil_defence", "人防工程验收", Post.REVIEWER1, 7, "P1", "RFB"),
        StepSpec("decide", "联合验收决定", Post.DECIDER, 2),
        StepSpec("notify", "办结告知", Post.NOTIFIER, 1),
    ],
    "二手房转移登记及缴税“一件事”": [
        StepSpec("accept", "一窗受理", Post.ACCEPTOR, 1),
        StepSpec("register", "登记审核", Post.REVIEWER1, 1, "P1"),
        StepSpec("tax", "税费核定征收", Post.REVIEWER1, 1, "P1", "SWJ"),
        StepSpec("decide", "登簿发证", Post.DECIDER, 1),
    ],
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
            "钟姜崔谭陆范汪廖石金贾夏韦方邹熊孟秦邱侯江尹薛段雷黎史陶贺毛郝顾龚邵万钱严孔汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建文辉宁欣雪梅海燕晨阳斌宇浩然轩思雨嘉怡俊峰志东婷琳"
         "鹏飞凯昊博佳颖慧莉倩晓丹亮春林波鑫帆蕾薇瑶琪")

# post -> username prefix; every main department gets one person per post
POST_USERS = [
    (Post.ACCEPTOR, "clerk"), (Post.REVIEWER1, "reviewer"), (Post.REVIEWER2, "reviewer2"), (Post.DECIDER, "decider"),
    (Post.NOTIFIER, "notifier"), (Post.LEADER, "leader"), (Post.DEPT_ADMIN, "deptadmin"),
    (Post.SECTION_CHIEF, "chief"), (Post.CHIEF_REP, "rep"),
]


# --- the plan ---------------------------------------------------------------------------------------------

@dataclass
class DemoUser:
    username: str
    full_name: str
    department: str | None
    phone: str | None
    role: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    password: str = DEMO_PASSWORD


@dataclass
class DemoAssignment:
    username: str
    department: str
    post: str
    hall: str = ""
    window: str = ""
    substitute: str = ""
    away_days: tuple[int, int] | None = None  # (from, until) in days relative to the build date


@dataclass
class DemoItem:
    code: str
    name: str
    item_type: str
    department: str
    life_event: str
    handling_type: str
    statutory_days: int
    promised_days: int
    limit_unit: str
    legal_basis: str
    steps: list[StepSpec]
    fees: list[FeeSpec]
    materials: list[str]
    report_to: str = ""
    location: str = ""
    consult_phone: str = ""
    online: bool = True
    visits_required: int = 1
    separation_required: bool = False
    conditions: str = ""


@dataclass
class DemoPlan:
    regions: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # code, name, level, parent
    departments: list[dict] = field(default_factory=list)
    halls: list[dict] = field(default_factory=list)
    windows: list[dict] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)
    assignments: list[DemoAssignment] = field(default_factory=list)
    items: list[DemoItem] = field(default_factory=list)


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in used:
            used.add(name)
            return name


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
        if phone not in used:
            used.add(phone)
            return phone


def plan(seed: int = DEFAULT_SEED) -> DemoPlan:
    """Everything the demo county consists of, computed from ``seed`` alone (no database access)."""
    rng = random.Random(seed)
    p = DemoPlan()
    p.regions += [(PROVINCE_CODE, "浙江省", RegionLevel.PROVINCE, None), (CITY_CODE, "示范市", RegionLevel.CITY, PROVINCE_CODE),
                  (COUNTY_CODE, COUNTY_NAME, RegionLevel.COUNTY, CITY_CODE)]
    for code, name, _dept, villages in TOWNSHIPS:
        p.regions.append((code, name, RegionLevel.TOWNSHIP, COUNTY_CODE))
        for vcode, vname, _vdept in villages:
            p.regions.append((vcode, vname, RegionLevel.VILLAGE, code))

    def phone_line() -> str:
        return f"0571-6{rng.randrange(1000000, 9999999)}"

    for code, name, short in AGENCIES:
        p.departments.append({"code": code, "name": name, "short_name": short, "kind": DepartmentKind.AGENCY,
                              "region": COUNTY_CODE, "parent": None, "phone": phone_line()})
    p.departments.append({"code": SERVICE_CENTRE, "name": "示范县行政服务中心管理办公室", "short_name": "行政服务中心",
                          "kind": DepartmentKind.SERVICE_CENTRE, "region": COUNTY_CODE, "parent": None,
                          "phone": phone_line()})
    p.departments.append({"code": SUPERVISION, "name": "中共示范县纪律检查委员会 示范县监察委员会", "short_name": "县纪委监委",
                          "kind": DepartmentKind.SUPERVISION, "region": COUNTY_CODE, "parent": None,
                          "phone": phone_line()})
    for code, name, dept, villages in TOWNSHIPS:

        p.departments.append({"code": dept, "name": f"示范县{name}人民政府", "short_name": f"{name}政府",
                              "kind": DepartmentKind.TOWNSHIP, "region": code, "parent": None, "phone": phone_line()})
        for vcode, vname, vdept in villages:
            if vdept:
                committee = "居民委员会" if vname.endswith("社区") else "村民委员会"
                p.departments.append({"code": vdept, "name": f"{name}{vname}{committee}", "short_name": vname,
                                      "kind": DepartmentKind.VILLAGE, "region": vcode, "parent": dept,
                                      "phone": phone_line()})

    # halls and windows: the county centre hosts a window per agency; townships a hall, villages a service room
    p.halls.append({"name": COUNTY_HALL, "level": HallLevel.COUNTY, "region": COUNTY_CODE, "parent": "",
                    "address": "示范县人民大道 88 号", "phone": "0571-60001234", "opening_hours": OFFICE_HOURS})
    window_of: dict[str, str] = {}
    for number, (code, _name, short) in enumerate(AGENCIES, start=1):
        p.windows.append({"hall": COUNTY_HALL, "number": f"{number:02d}", "name": f"{short}窗口", "departments": [code]})
        window_of[code] = f"{number:02d}"
    p.windows.append({"hall": COUNTY_HALL, "number": "30", "name": "综合受理窗口（一窗受理）",
                      "departments": ["SCJ", "ZRJ", "ZJJ", "SWJ", "GAJ"]})
    p.windows.append({"hall": COUNTY_HALL, "number": "31", "name": "投诉与好差评窗口", "departments": [SERVICE_CENTRE]})
    for code, name, dept, villages in TOWNSHIPS:
        hall = f"{name}便民服务大厅"
        p.halls.append({"name": hall, "level": HallLevel.TOWNSHIP, "region": code, "parent": COUNTY_HALL,
                        "address": f"示范县{name}政府大院", "phone": phone_line(), "opening_hours": OFFICE_HOURS})
        for number in ("1", "2"):
            p.windows.append({"hall": hall, "number": number, "name": f"综合窗口{number}", "departments": [dept]})
        window_of[dept] = "1"
        for vcode, vname, _vdept in villages:
            p.halls.append({"name": f"{vname}便民服务室", "level": HallLevel.VILLAGE, "region": vcode, "parent": hall,
                            "address": f"{name}{vname}村委会", "phone": "", "opening_hours": "工作日 8:30—17:00"})

    # staff: every post in every agency and township government
    used_names: set[str] = set()
    used_phones: set[str] = set()
    main_departments = [(code, COUNTY_HALL) for code, _n, _s in AGENCIES] + [
        (dept, f"{name}便民服务大厅") for _c, name, dept, _v in TOWNSHIPS]
    dept_names = {d["code"]: d["short_name"] for d in p.departments}
    for code, hall in main_departments:
        suffix = code.lower()
        for post, prefix in POST_USERS:
            username = f"{prefix}_{suffix}"
            label = f"{dept_names[code]} {Post(post).label}"
            p.users.append(DemoUser(username, _person(rng, used_names), code, _phone(rng, used_phones), str(label),
                                    is_staff=post == Post.DEPT_ADMIN))
            at_window = post in (Post.ACCEPTOR, Post.CHIEF_REP)
            p.assignments.append(DemoAssignment(
                username, code, post, hall=hall if at_window else "", window=window_of.get(code, "") if at_window else "",
                substitute=f"reviewer2_{suffix}" if post == Post.REVIEWER1 else "",
            ))
    # one holder is away this week: their B岗 (复审 colleague) acts for them
    for assignment in p.assignments:
        if assignment.username == "reviewer_zjj":
            assignment.away_days = (0, 5)
    # service centre, supervision, village agents
    for username, dept, post, role in (
        ("centre_admin", SERVICE_CENTRE, Post.DEPT_ADMIN, "行政服务中心 部门管理员"),
        ("centre_leader", SERVICE_CENTRE, Post.LEADER, "行政服务中心 领导"),
        ("centre_clerk", SERVICE_CENTRE, Post.ACCEPTOR, "行政服务中心 综合窗口受理员"),
        ("supervisor", SUPERVISION, Post.SUPERVISOR, "县纪委监委 监察员"),
        ("supervisor2", SUPERVISION, Post.SUPERVISOR, "县纪委监委 监察员"),
        ("leader_jwjw", SUPERVISION, Post.LEADER, "县纪委监委 领导"),
    ):
        p.users.append(DemoUser(username, _person(rng, used_names), dept, _phone(rng, used_phones), role,
                                is_staff=post == Post.DEPT_ADMIN))
        window = "30" if username == "centre_clerk" else ""
        p.assignments.append(DemoAssignment(username, dept, post, hall=COUNTY_HALL if window else "", window=window))
    for _code, tname, _dept, villages in TOWNSHIPS:
        for _vcode, vname, vdept in villages:
            if not vdept:
                continue
            username = "agent_" + {"DCCW": "dongcun", "QSCW": "qingshan", "HKCW": "hekou"}[vdept]
            p.users.append(DemoUser(username, _person(rng, used_names), vdept, _phone(rng, used_phones),
                                    f"{tname}{vname} 代办员"))
            p.assignments.append(DemoAssignment(username, vdept, Post.AGENT, hall=f"{vname}便民服务室"))

    # items
    sequence: dict[tuple[str, str], int] = {}

    def item_code(dept: str, item_type: str) -> str:
        key = (dept, item_type)
        sequence[key] = sequence.get(key, 0) + 1
        return f"{dept}-{TYPE_ABBR[item_type]}-{sequence[key]:03d}"

    dept_phone = {d["code"]: d["phone"] for d in p.departments}
    rows = [(d, t, h, n, s, pr, b, m, f, le, u[0] if u else W, "") for d, t, h, n, s, pr, b, m, f, le, *u in ITEMS]
    for _code, _tname, dept, _villages in TOWNSHIPS:
        rows += [(dept, t, h, n, s, pr, b, m, f, le, W, rep) for t, h, n, s, pr, b, m, f, le, rep in TOWNSHIP_ITEMS]
    for dept, item_type, handling, name, statutory, promised, basis, materials, fees, life_event, unit, report in rows:
        steps = JOINT_STEPS.get(name) or default_steps(promised, handling)
        if dept in window_of and dept not in {t[2] for t in TOWNSHIPS}:
            location = f"{COUNTY_HALL} {window_of[dept]} 号窗口（{dept_names[dept]}窗口）"
        else:
            location = f"{dept_names[dept].removesuffix('政府')}便民服务大厅 综合窗口"
        p.items.append(DemoItem(
            code=item_code(dept, item_type), name=name, item_type=item_type, department=dept, life_event=life_event,
            handling_type=handling, statutory_days=statutory, promised_days=promised, limit_unit=unit,
            legal_basis=basis, steps=list(steps),
            fees=[FeeSpec(c, fn, Decimal(a), fb) for c, fn, a, fb in (fees or ())],
            materials=materials.split("|"), report_to=report, location=location, consult_phone=dept_phone[dept],
            online=handling != JB or rng.random() < 0.5, visits_required=0 if handling == JB else rng.choice((0, 1, 1)),
            separation_required=item_type == "01" and rng.random() < 0.5,
            conditions="申请人符合法定条件、申请材料齐全且符合法定形式。",
        ))
    return p


def validate_plan(demo: DemoPlan) -> list[str]:
    """Every item of the plan must pass the catalogue's publishing rules."""
    problems = []
    for item in demo.items:
        spec = VersionSpec(item.handling_type, item.statutory_days, item.promised_days, item.steps, item.fees,
                           item.report_to)
        problems += [f"{item.code} {item.name}: {problem.message}" for problem in validate_version(spec)]
    return problems


# --- writing it -------------------------------------------------------------------------------------------

@transaction.atomic
def build(seed: int = DEFAULT_SEED) -> list[tuple[str, str, str]]:
    """Create (or complete) the demo data and return the demo logins (username, password, role label)."""
    demo = plan(seed)
    problems = validate_plan(demo)
    if problems:
        raise ValueError("演示事项不符合发布规则：" + "；".join(problems))
    now = timezone.now()
    regions = _build_regions(demo)
    departments = _build_departments(demo, regions)
    halls, windows = _build_halls(demo, regions, departments)
    users = _build_users(demo, departments)
    _build_assignments(demo, users, departments, halls, windows, now)
    _build_items(demo, departments, now)
    _build_admin_group(users)
    return logins()


def logins() -> list[tuple[str, str, str]]:
    return [
        ("admin", ADMIN_PASSWORD, "系统管理员（超级用户）"),
        ("clerk_scj", DEMO_PASSWORD, "市场监管局 受理员（县行政服务中心 18 号窗口）"),
        ("reviewer_scj", DEMO_PASSWORD, "市场监管局 初审"),
        ("reviewer2_scj", DEMO_PASSWORD, "市场监管局 复审（初审的 B 岗）"),
        ("decider_scj", DEMO_PASSWORD, "市场监管局 决定"),
        ("notifier_scj", DEMO_PASSWORD, "市场监管局 办结告知"),
        ("rep_scj", DEMO_PASSWORD, "市场监管局 首席代表"),
        ("leader_scj", DEMO_PASSWORD, "市场监管局 领导"),
        ("deptadmin_scj", DEMO_PASSWORD, "市场监管局 部门管理员（可登录管理后台）"),
        ("clerk_zjj", DEMO_PASSWORD, "住建局 受理员"),
        ("reviewer2_zjj", DEMO_PASSWORD, "住建局 复审（本周代初审 B 岗）"),
        ("clerk_cgz", DEMO_PASSWORD, "城关镇便民服务大厅 受理员"),
        ("agent_dongcun", DEMO_PASSWORD, "东村便民服务室 代办员"),
        ("centre_admin", DEMO_PASSWORD, "行政服务中心 部门管理员"),
        ("supervisor", DEMO_PASSWORD, "县纪委监委 监察员"),
    ]


def _build_regions(demo: DemoPlan) -> dict[str, Region]:
    existing = {r.code: r for r in Region.objects.filter(code__in=[r[0] for r in demo.regions])}
    for code, name, level, parent in demo.regions:  # parents come first; a few rows, saved one by one for ``path``
        if code not in existing:
            existing[code] = Region.objects.create(code=code, name=name, level=level,
                                                   parent=existing.get(parent) if parent else None)
    return existing


def _build_departments(demo: DemoPlan, regions) -> dict[str, Department]:
    existing = {d.code: d for d in Department.objects.filter(code__in=[d["code"] for d in demo.departments])}
    missing = [d for d in demo.departments if d["code"] not in existing]
    rows = [Department(code=d["code"], name=d["name"], short_name=d["short_name"], kind=d["kind"],
                       region=regions[d["region"]], phone=d["phone"]) for d in missing]
    for dept in Department.objects.bulk_create(rows):
        existing[dept.code] = dept
    parents = [d for d in missing if d["parent"]]
    for d in parents:
        existing[d["code"]].parent = existing[d["parent"]]
    Department.objects.bulk_update([existing[d["code"]] for d in parents], ["parent"])
    return existing


def _build_halls(demo: DemoPlan, regions, departments):
    existing = {h.name: h for h in Hall.objects.filter(name__in=[h["name"] for h in demo.halls])}
    for h in demo.halls:  # the county hall comes first, then each township before its villages
        if h["name"] not in existing:
            existing[h["name"]] = Hall.objects.create(
                name=h["name"], level=h["level"], region=regions[h["region"]],
                parent=existing.get(h["parent"]) if h["parent"] else None, address=h["address"], phone=h["phone"],
                opening_hours=h["opening_hours"])
    windows = {(w.hall.name, w.number): w for w in Window.objects.filter(hall__in=existing.values()).select_related("hall")}
    new = [w for w in demo.windows if (w["hall"], w["number"]) not in windows]
    created = Window.objects.bulk_create([Window(hall=existing[w["hall"]], number=w["number"], name=w["name"])
                                          for w in new])
    links = []
    for spec, window in zip(new, created, strict=True):
        windows[(spec["hall"], spec["number"])] = window
        links += [Window.departments.through(window_id=window.pk, department_id=departments[code].pk)
                  for code in spec["departments"]]
    Window.departments.through.objects.bulk_create(links)
    return existing, windows


def _build_users(demo: DemoPlan, departments) -> dict[str, User]:
    users = {u.username: u for u in User.objects.filter(username__in=[u.username for u in demo.users] + ["admin"])}
    if "admin" not in users:
        admin = User(username="admin", full_name="系统管理员", is_staff=True, is_superuser=True, kind=UserKind.STAFF)
        admin.set_password(ADMIN_PASSWORD)
        admin.save()
        users["admin"] = admin
    missing = [u for u in demo.users if u.username not in users]
    if missing:
        hashed = make_password(DEMO_PASSWORD)  # one hash for every demo account keeps the build fast
        taken = set(User.objects.filter(phone__in=[u.phone for u in missing]).values_list("phone", flat=True))
        rows = [User(username=u.username, full_name=u.full_name, kind=UserKind.STAFF, password=hashed,
                     department=departments[u.department] if u.department else None,
                     phone=u.phone if u.phone not in taken else None, is_staff=u.is_staff,
                     is_superuser=u.is_superuser, date_joined=timezone.now()) for u in missing]
        for user in User.objects.bulk_create(rows):
            users[user.username] = user
    return users


def _build_assignments(demo: DemoPlan, users, departments, halls, windows, now) -> None:
    existing = set(PostAssignment.objects.filter(user__in=[users[a.username] for a in demo.assignments])
                   .values_list("user__username", "department__code", "post"))
    admin = users["admin"]
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for a in demo.assignments:
        if (a.username, a.department, a.post) in existing:
            continue
        hall = halls.get(a.hall) if a.hall else None
        rows.append(PostAssignment(
            user=users[a.username], department=departments[a.department], post=a.post, hall=hall,
            window=windows.get((a.hall, a.window)) if a.window else None,
            substitute=users.get(a.substitute) if a.substitute else None,
            away_from=day + timezone.timedelta(days=a.away_days[0]) if a.away_days else None,
            away_until=day + timezone.timedelta(days=a.away_days[1]) if a.away_days else None,
            granted_by=admin, granted_at=now,
        ))
    PostAssignment.objects.bulk_create(rows)


def _build_items(demo: DemoPlan, departments, now) -> None:
    existing = set(Item.objects.filter(code__in=[i.code for i in demo.items]).values_list("code", flat=True))
    new = [i for i in demo.items if i.code not in existing]
    if not new:
        return
    items = Item.objects.bulk_create([
        Item(code=i.code, name=i.name, item_type=i.item_type, department=departments[i.department],
             life_event=i.life_event, keywords=i.life_event) for i in new])
    versions = ItemVersion.objects.bulk_create([
        ItemVersion(item=item, number=1, status=VersionStatus.PUBLISHED, handling_type=i.handling_type,
                    legal_basis=i.legal_basis, conditions=i.conditions, limit_unit=i.limit_unit,
                    statutory_days=i.statutory_days, promised_days=i.promised_days,
                    max_extension_days=0 if i.handling_type == HandlingType.INSTANT else
                    (15 if i.handling_type == HandlingType.JOINT else 10),
                    location=i.location, office_hours=OFFICE_HOURS, consult_phone=i.consult_phone,
                    complaint_phone="12345", visits_required=i.visits_required, online=i.online,
                    separation_required=i.separation_required,
                    report_to=departments[i.report_to] if i.report_to else None,
                    procedure="→".join(s.name for s in i.steps), published_at=now)
        for item, i in zip(items, new, strict=True)])
    steps, fees, materials = [], [], []
    for version, i in zip(versions, new, strict=True):
        steps += [Step(version=version, order=n, code=s.code, name=s.name, post=s.post, days=s.days,
                       parallel_group=s.parallel_group,
                       department=departments[s.department_code] if s.department_code else None)
                  for n, s in enumerate(i.steps, start=1)]
        fees += [Fee(version=version, code=f.code, name=f.name, amount=f.amount, basis=f.basis) for f in i.fees]
        materials += [Material(version=version, order=n, name=m, form="复印件" if "复印件" in m else "原件")
                      for n, m in enumerate(i.materials, start=1)]
    Step.objects.bulk_create(steps)
    Fee.objects.bulk_create(fees)
    Material.objects.bulk_create(materials)
    for item, version in zip(items, versions, strict=True):
        item.current_version = version
    Item.objects.bulk_update(items, ["current_version"])


def _build_admin_group(users) -> None:
    """Department administrators may use the admin site for their own department (rows scoped in the admin)."""
    group, _created = Group.objects.get_or_create(name=DEPT_ADMIN_GROUP)
    codenames = [f"{action}_{model}" for model in ("item", "itemversion", "step", "fee", "material")
                 for action in ("view", "add", "change", "delete")]
    codenames += [f"{action}_{model}" for model in ("user", "postassignment") for action in ("view", "add", "change")]
    codenames += ["view_department", "view_hall", "view_window"]
    group.permissions.set(Permission.objects.filter(codename__in=codenames,
                                                    content_type__app_label__in=("catalog", "org")))
    members = [u for u in users.values() if u.is_staff and not u.is_superuser]
    group.user_set.add(*members)
